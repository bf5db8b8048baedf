import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RawEvent } from '../queue/contract.ts';
import { sha256Hex } from '../shared/crypto.ts';
import { QueueUnavailableError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { waitForReplicas } from '../shared/redis.ts';
import { INGEST_JOB_OPTIONS, INGEST_QUEUE, type IngestJobData } from '../queue/contract.ts';
import { inContextOfFirstJob, ingestJobTelemetry, queueTelemetry } from '../tracing/queue-tracing.ts';

export type StoreOutcome = 'accepted' | 'duplicate';

export interface EventStore {
  /** Resolves once the event is stored (or known to be stored already); rejects QueueUnavailableError. */
  store(event: RawEvent): Promise<StoreOutcome>;
  close(): Promise<void>;
}

export type QueueEventStoreOptions = {
  redis: Redis;
  prefix: string;
  /** How long a key is remembered, per event. */
  dedupWindowMs: (event: RawEvent) => number;
  timeoutMs: number;
  logger: Logger;
  /**
   * REDIS_MIN_REPLICAS_ACK: an event counts as stored only once `WAIT` on the connection that wrote
   * it says this many replicas hold it; fewer within `timeoutMs` is QueueUnavailableError (503, or
   * the spool). Unset: stored once the primary has it.
   */
  replicaAck?: { replicas: number; timeoutMs: number } | undefined;
};

type Pending = {
  event: RawEvent;
  jobId: string;
  resolve: (outcome: StoreOutcome) => void;
  reject: (error: Error) => void;
};

const MAX_BATCH = 256;
const RETRY_AFTER_SECONDS = 5;

/** The Redis key BullMQ keeps for a deduplication id; exposed for replay and admin lookups. */
export function dedupIdOf(eventKey: string): string {
  return sha256Hex(eventKey);
}

/**
 * Stores events as BullMQ jobs. Each job gets a fresh id and a deduplication id derived from its
 * event key, so the add script (atomic in Redis) answers which request was first: the job it returns
 * is ours when the event is new, and the first request's job when it is a duplicate.
 *
 * Requests that arrive in the same tick are sent as one pipelined addBulk: one round trip for many
 * events, and each request is still answered only after its own job is stored.
 */
export function createQueueEventStore(options: QueueEventStoreOptions): EventStore {
  const openQueue = () => {
    const opened = new Queue<IngestJobData>(INGEST_QUEUE, {
      connection: options.redis,
      prefix: options.prefix,
      defaultJobOptions: INGEST_JOB_OPTIONS,
      ...queueTelemetry(),
    });
    opened.on('error', (error) => options.logger.warn({ err: error }, 'ingest queue connection error'));
    return opened;
  };
  let queue = openQueue();
  let renewing = false;

  /**
   * BullMQ sets a queue up once (a version check against Redis); when Redis goes away during that,
   * the queue stays failed for good, every add rejected while PING passes. After a failed add, a
   * queue whose setup failed is replaced by a fresh one.
   */
  function renewIfSetupFailed(): void {
    if (renewing) return;
    renewing = true;
    const current = queue;
    current
      .waitUntilReady()
      .then(
        () => undefined,
        () => {
          if (queue !== current) return;
          options.logger.warn('ingest queue setup had failed; set up again');
          queue = openQueue();
          current.close().catch(() => undefined);
        },
      )
      .finally(() => {
        renewing = false;
      });
  }

  let lastShortfallLog = 0;
  /**
   * After the add, `WAIT` on the same connection (the one BullMQ was given, shared): it covers every
   * write this connection made so far, this batch's included. A duplicate's add writes too (its
   * `deduplicated` event), so the first request's job, replicated before it, is covered as well.
   */
  async function replicated<T>(added: T): Promise<T> {
    const ack = options.replicaAck;
    if (!ack) return added;
    const acked = await waitForReplicas(options.redis, ack.replicas, ack.timeoutMs, `${options.prefix}:${INGEST_QUEUE}`);
    if (acked >= ack.replicas) return added;
    if (Date.now() - lastShortfallLog > 10_000) {
      lastShortfallLog = Date.now();
      options.logger.warn({ acked, wanted: ack.replicas, timeoutMs: ack.timeoutMs }, `only ${acked} of ${ack.replicas} Redis replicas acknowledged within ${ack.timeoutMs} ms: events are not answered 202 until they do (REDIS_MIN_REPLICAS_ACK)`);
    }
    throw new QueueUnavailableError(`only ${acked} of ${ack.replicas} Redis replicas acknowledged the event within ${ack.timeoutMs} ms`, RETRY_AFTER_SECONDS);
  }

  let pending: Pending[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    while (pending.length > 0) {
      const batch = pending.splice(0, MAX_BATCH);
      const jobs = batch.map((item) => ({
        name: item.event.provider,
        data: item.event,
        opts: {
          jobId: item.jobId,
          deduplication: { id: dedupIdOf(item.event.key), ttl: options.dedupWindowMs(item.event) },
          // Each job carries its own request's trace context, not the batch's (src/tracing/queue-tracing.ts).
          ...ingestJobTelemetry(item.event),
        },
      }));
      // One timer per batch rather than per request: every request of a batch waits on the same add.
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        const failure = new QueueUnavailableError(`the queue did not answer within ${options.timeoutMs} ms`, RETRY_AFTER_SECONDS);
        for (const item of batch) item.reject(failure);
      }, options.timeoutMs);
      inContextOfFirstJob(jobs, (all) => queue.addBulk(all)).then(replicated).then(
        (added) => {
          clearTimeout(timer);
          if (settled) return;
          batch.forEach((item, index) => item.resolve(added[index]?.id === item.jobId ? 'accepted' : 'duplicate'));
        },
        (error: unknown) => {
          clearTimeout(timer);
          renewIfSetupFailed();
          if (settled) return;
          const failure =
            error instanceof QueueUnavailableError ? error : new QueueUnavailableError('the event could not be stored', RETRY_AFTER_SECONDS, { cause: error });
          for (const item of batch) item.reject(failure);
        },
      );
    }
  }

  /**
   * A store that outlives the timeout may still succeed; the provider's retry then meets the
   * duplicate check, so the event is neither lost nor doubled.
   */
  function store(event: RawEvent): Promise<StoreOutcome> {
    return new Promise<StoreOutcome>((resolve, reject) => {
      pending.push({ event, jobId: `${event.provider}-${randomUUID()}`, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  return {
    store,
    async close() {
      if (pending.length > 0) flush();
      await queue.close();
    },
  };
}
