import type { RawEvent } from '../../queue/contract.ts';
import { QueueUnavailableError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { EventStore, StoreOutcome } from '../event-store.ts';
import { decodeSpooledEvent, encodeSpooledEvent } from './spooled-event.ts';
import { SpoolFullError, type SpoolLog, type SpoolStats } from './spool-log.ts';

export type SpoolingEventStoreOptions = {
  /** The queue store; every event, spooled or not, is stored through it (and its dedup). */
  inner: EventStore;
  spool: SpoolLog;
  /** Resolves when the queue looks reachable; draining waits for it so that an outage costs no segment churn. */
  probe: () => Promise<unknown>;
  logger: Logger;
  /** Called whenever the spool's depth changes (metrics). */
  report?: (stats: SpoolStats) => void;
  drainIntervalMs?: number;
};

export type SpoolingEventStore = EventStore & {
  stats(): SpoolStats;
  /** One drain pass now; resolves with what is left in the spool. */
  drain(): Promise<SpoolStats>;
};

const RETRY_AFTER_SECONDS = 5;
/** Events re-submitted at once: the queue store sends them as one pipelined batch. */
const DRAIN_CHUNK = 64;

/**
 * Decorates the queue store with a local spool: when the queue is unavailable the verified event is
 * fsync'd to the spool and the request still gets its 202. A drainer re-submits spooled events
 * through the inner store — the same dedup path, so an event Redis did store before timing out
 * comes back as a duplicate, not a second job — and deletes a segment only once every record in it
 * is stored. A full spool refuses (503): never a 2xx for an event stored nowhere.
 */
export function createSpoolingEventStore(options: SpoolingEventStoreOptions): SpoolingEventStore {
  const { inner, spool, logger } = options;
  const intervalMs = options.drainIntervalMs ?? 1_000;
  const report = () => options.report?.(spool.stats());
  /** Records of a segment already stored, so a pass cut short does not start that segment over. */
  const progress = new Map<string, number>();
  let draining: Promise<SpoolStats> | undefined;
  let spooling = false;
  let closed = false;

  async function store(event: RawEvent): Promise<StoreOutcome> {
    let outcome: StoreOutcome;
    try {
      outcome = await inner.store(event);
    } catch (error) {
      if (!(error instanceof QueueUnavailableError) || closed) throw error;
      return spoolEvent(event, error);
    }
    if (spooling || spool.stats().events > 0) void drain();
    return outcome;
  }

  async function spoolEvent(event: RawEvent, queueError: QueueUnavailableError): Promise<StoreOutcome> {
    try {
      await spool.append(encodeSpooledEvent(event));
    } catch (error) {
      const full = error instanceof SpoolFullError;
      logger.error({ err: error, eventKey: event.key, full }, 'queue unavailable and the event could not be spooled');
      throw new QueueUnavailableError(
        full ? 'the queue is unavailable and the local spool is full' : 'the queue is unavailable and the local spool failed',
        RETRY_AFTER_SECONDS,
        { cause: queueError },
      );
    }
    if (!spooling) {
      spooling = true;
      logger.warn({ reason: queueError.message }, 'queue unavailable: spooling events locally until it is back');
    }
    logger.debug({ eventKey: event.key }, 'event spooled');
    report();
    return 'accepted';
  }

  function drain(): Promise<SpoolStats> {
    draining ??= drainPass().finally(() => {
      draining = undefined;
    });
    return draining;
  }

  async function drainPass(): Promise<SpoolStats> {
    if (spool.stats().events === 0) {
      spooling = false;
      return spool.stats();
    }
    try {
      await options.probe();
    } catch {
      return spool.stats();
    }
    let stored = 0;
    try {
      for (const segment of await spool.sealedForDrain()) {
        if (closed) break;
        const complete = await drainSegment(segment);
        stored += complete.stored;
        if (!complete.done) break;
      }
    } catch (error) {
      logger.warn({ err: error }, 'spool drain pass failed; it will be tried again');
    }
    const left = spool.stats();
    if (stored > 0) logger.info({ stored, left: left.events }, 'spooled events moved to the queue');
    if (left.events === 0 && spooling) {
      spooling = false;
      logger.info('spool drained');
    }
    report();
    return left;
  }

  async function drainSegment(segment: string): Promise<{ done: boolean; stored: number }> {
    const records = await spool.read(segment);
    let index = progress.get(segment) ?? 0;
    let stored = 0;
    while (index < records.length) {
      if (closed) return { done: false, stored };
      const chunk = records.slice(index, index + DRAIN_CHUNK);
      const results = await Promise.allSettled(
        chunk.map((payload) => {
          const event = decodeSpooledEvent(payload);
          if (event) return inner.store(event);
          logger.error({ segment }, 'a spool record is not an event; skipped');
          return Promise.resolve('skipped' as const);
        }),
      );
      const firstFailed = results.findIndex((result) => result.status === 'rejected');
      if (firstFailed !== -1) {
        // The records before the first failure are stored; the ones after may be, and the dedup path absorbs a second try.
        progress.set(segment, index + firstFailed);
        return { done: false, stored: stored + firstFailed };
      }
      index += chunk.length;
      stored += chunk.length;
      progress.set(segment, index);
    }
    await spool.remove(segment);
    progress.delete(segment);
    return { done: true, stored };
  }

  const timer = setInterval(() => {
    if (spool.stats().events > 0) void drain();
  }, intervalMs);
  timer.unref();
  report();
  if (spool.stats().events > 0) {
    logger.warn({ events: spool.stats().events }, 'spooled events from an earlier run: draining them into the queue');
    spooling = true;
  }

  return {
    store,
    stats: () => spool.stats(),
    drain,
    async close() {
      closed = true;
      clearInterval(timer);
      await draining;
      await spool.close();
      const left = spool.stats();
      if (left.events > 0) logger.warn({ events: left.events }, 'spooled events left for the next start');
      await inner.close();
    },
  };
}
