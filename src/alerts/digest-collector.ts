import { SinkError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { AlertSink } from '../sinks/sink.ts';
import { alertKey, alertPriority, type AlertItem } from './alert-item.ts';
import type { Pacer } from './pacer.ts';

type Waiting = {
  item: AlertItem;
  priority: number;
  seq: number;
  /** After a refused digest: the most items this one may travel with (halved at each refusal). */
  limit: number;
  resolve: () => void;
  reject: (error: unknown) => void;
};

export type DigestCollector = {
  /** Resolves once the alert reached the destination (alone or in a digest); rejects with a SinkError. */
  deliver(item: AlertItem): Promise<void>;
  /** Alerts waiting in this process. */
  readonly waiting: number;
  close(): void;
};

/**
 * Sends a destination's alerts at its pace. The alerts of the jobs this process runs wait here;
 * whenever the destination's next slot is due (one per pace interval, shared by every process
 * through the Pacer), everything waiting goes out in one message, failures first: a lone alert at
 * once, a burst as digests. A 429 holds the destination and keeps the alerts waiting without
 * spending attempts; a digest refused for good is split in halves until only the refused alert
 * fails; any other failure fails the alerts of that message, which their jobs retry.
 */
export function createDigestCollector(deps: {
  sink: AlertSink;
  pacer: Pacer;
  digestMax: number;
  sendTimeoutMs: number;
  logger: Logger;
  metrics: Metrics;
}): DigestCollector {
  const { sink, pacer, logger, metrics } = deps;
  const queue: Waiting[] = [];
  const stop = new AbortController();
  let seq = 0;
  let running = false;

  function order(): void {
    queue.sort((a, b) => a.limit - b.limit || a.priority - b.priority || a.seq - b.seq);
  }

  async function sendNext(): Promise<void> {
    await pacer.take(stop.signal);
    if (queue.length === 0) return;
    order();
    const head = queue[0];
    if (!head) return;
    const room = Math.min(deps.digestMax, head.limit, queue.length);
    const count = Math.max(1, Math.min(room, sink.capacity(queue.slice(0, room).map((w) => w.item))));
    const batch = queue.splice(0, count);
    const items = batch.map((w) => w.item);
    try {
      await sink.send(items, AbortSignal.any([stop.signal, AbortSignal.timeout(deps.sendTimeoutMs)]));
    } catch (error) {
      if (error instanceof SinkError && error.retryAfterMs !== undefined) {
        // Held for every process; these wait for the next slot without spending an attempt.
        await pacer.hold(error.retryAfterMs).catch(() => undefined);
        metrics.deliveries.inc({ sink: sink.id, outcome: 'rate_limited' }, batch.length);
        logger.warn({ destination: sink.id, alerts: batch.length, retryAfterMs: error.retryAfterMs }, 'destination rate limited; holding it');
        queue.push(...batch);
        return;
      }
      if (error instanceof SinkError && !error.retryable && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        logger.warn({ destination: sink.id, alerts: batch.length, reason: error.message }, 'digest refused; splitting it');
        for (const waiting of batch) waiting.limit = half;
        queue.push(...batch);
        return;
      }
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    metrics.alertMessages.inc({ destination: sink.id, form: batch.length > 1 ? 'digest' : 'single' });
    metrics.alertDigestSize.observe({ destination: sink.id }, batch.length);
    if (batch.length > 1) logger.info({ destination: sink.id, alerts: batch.length, keys: items.map(alertKey).slice(0, 5) }, 'digest sent');
    for (const waiting of batch) waiting.resolve();
  }

  async function run(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0 && !stop.signal.aborted) {
        try {
          await sendNext();
        } catch (error) {
          if (stop.signal.aborted) break;
          // The pacer's Redis is away: the alerts wait (their jobs' locks are kept) and it is asked again.
          logger.warn({ destination: sink.id, reason: error instanceof Error ? error.message : String(error) }, 'pacer unavailable; retrying');
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    } finally {
      running = false;
    }
    if (stop.signal.aborted) {
      const closed = new SinkError(sink.id, `${sink.id}: shutting down before the alert was sent`, { retryable: true });
      for (const waiting of queue.splice(0)) waiting.reject(closed);
    }
  }

  return {
    deliver(item) {
      return new Promise<void>((resolve, reject) => {
        if (stop.signal.aborted) {
          reject(new SinkError(sink.id, `${sink.id}: shutting down`, { retryable: true }));
          return;
        }
        queue.push({ item, priority: alertPriority(item), seq: seq++, limit: Number.MAX_SAFE_INTEGER, resolve, reject });
        if (!running) void run();
      });
    },
    get waiting() {
      return queue.length;
    },
    close() {
      stop.abort(new Error('closing'));
    },
  };
}
