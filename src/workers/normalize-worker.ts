import { FlowProducer, UnrecoverableError, Worker, type FlowJob, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import { normalize } from '../normalizers/registry.ts';
import { NormalizeError, SinkError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Delivery, Sink } from '../sinks/sink.ts';
import { createBatcher } from './batcher.ts';
import {
  DELIVERY_JOB_OPTIONS,
  INGEST_QUEUE,
  deliveryQueueName,
  type DeliveryJobData,
  type IngestJobData,
} from './queues.ts';

export type NormalizeResult = {
  eventId: string;
  status: NormalizedEvent['status'];
  sinks: string[];
  /** The sink written while normalizing, when that write succeeded (no delivery job for it). */
  writtenInPlace?: string;
};

type Deps = {
  connection: Redis;
  prefix: string;
  sinks: readonly Sink[];
  /**
   * A sink that can write many events at once and is idempotent by event key (the database). It is
   * written right here, batched across the jobs running concurrently, which saves a second job per
   * event; only when that write fails does the event go to the sink's own queue, whose retries
   * and dead letters then take over.
   */
  writeInPlace?: Sink | undefined;
  logger: Logger;
  metrics: Metrics;
  concurrency: number;
  writeTimeoutMs: number;
  /** BullMQ lock and stall check: how soon a killed worker's jobs run elsewhere. */
  locks?: { lockDuration: number; stalledInterval: number };
};

const MAX_BATCH = 500;
/** Writes in flight at once; jobs finishing meanwhile join the next write (see createBatcher). */
const MAX_IN_FLIGHT = 2;

/** The delivery job id is derived from the ingest job, so a retried ingest job never adds a second one. */
export function deliveryJobId(ingestJobId: string, sink: string): string {
  return `${ingestJobId}-${sink}`;
}

/**
 * Normalizes each ingested event and fans it out: one delivery job per queued sink that wants it.
 * Fan-outs of the jobs running concurrently go to Redis as one transaction (FlowProducer leaf jobs),
 * so either every sink of an event gets its job or none does, in one round trip for many events.
 * An event that cannot be normalized fails at once and stays in the failed set with its raw body.
 */
export function createNormalizeWorker(deps: Deps): { worker: Worker<IngestJobData, NormalizeResult>; flow: FlowProducer } {
  const flow = new FlowProducer({ connection: deps.connection, prefix: deps.prefix });
  flow.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out connection error'));

  const fanOut = createBatcher<FlowJob[]>((batches) => flow.addBulk(batches.flat()).then(() => undefined), {
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });
  const inPlace = deps.writeInPlace;
  const writeBatch = inPlace?.deliverBatch?.bind(inPlace);
  const writeNow = writeBatch
    ? createBatcher<Delivery>((batch) => writeBatch(batch, AbortSignal.timeout(deps.writeTimeoutMs)), {
        maxBatch: MAX_BATCH,
        maxInFlight: MAX_IN_FLIGHT,
        splitOnError: (error) => error instanceof SinkError && !error.retryable,
      })
    : undefined;

  function deliveryJob(sink: Sink, event: NormalizedEvent, raw: IngestJobData, ingestJobId: string): FlowJob {
    return {
      name: event.provider,
      queueName: deliveryQueueName(sink.id),
      // Only the database keeps the raw body; the other sinks need not carry it through Redis.
      data: { event, ingestJobId, ...(sink.id === 'database' ? { raw: raw.body } : {}) } satisfies DeliveryJobData,
      opts: { ...DELIVERY_JOB_OPTIONS, jobId: deliveryJobId(ingestJobId, sink.id) },
    };
  }

  async function process(job: Job<IngestJobData, NormalizeResult>): Promise<NormalizeResult> {
    const raw = job.data;
    let event: NormalizedEvent;
    try {
      event = normalize(raw);
    } catch (error) {
      if (!(error instanceof NormalizeError)) throw error;
      deps.metrics.normalized.inc({ provider: raw.provider, outcome: 'unnormalizable' });
      deps.logger.warn({ eventKey: raw.key, provider: raw.provider, jobId: job.id, reason: error.message }, 'event kept as unnormalizable');
      throw new UnrecoverableError(error.message);
    }
    const jobId = job.id ?? raw.key;
    const targets = deps.sinks.filter((sink) => sink.accepts(event));
    const queued = targets.filter((sink) => sink !== inPlace || !writeNow);
    // Queued sinks first: an alert must not wait for (or on the failure of) the database write.
    if (queued.length > 0) await fanOut(queued.map((sink) => deliveryJob(sink, event, raw, jobId)));

    let writtenInPlace: string | undefined;
    if (inPlace && writeNow && targets.includes(inPlace)) {
      try {
        await writeNow({ event, raw: raw.body });
        writtenInPlace = inPlace.id;
        deps.metrics.deliveries.inc({ sink: inPlace.id, outcome: 'delivered' });
        deps.metrics.deliveredLatency.observe({ sink: inPlace.id }, (Date.now() - Date.parse(event.receivedAt)) / 1000);
      } catch (error) {
        deps.logger.warn(
          { eventKey: event.id, sink: inPlace.id, reason: error instanceof Error ? error.message : String(error) },
          'write in place failed; the event goes to the sink queue',
        );
        await fanOut([deliveryJob(inPlace, event, raw, jobId)]);
      }
    }
    deps.metrics.normalized.inc({ provider: raw.provider, outcome: 'normalized' });
    deps.logger.debug({ eventKey: event.id, status: event.status, sinks: targets.map((s) => s.id) }, 'event normalized');
    return {
      eventId: event.id,
      status: event.status,
      sinks: targets.map((sink) => sink.id),
      ...(writtenInPlace ? { writtenInPlace } : {}),
    };
  }

  const worker = new Worker<IngestJobData, NormalizeResult>(INGEST_QUEUE, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    maxStalledCount: 2,
    ...deps.locks,
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'normalize worker error'));
  return { worker, flow };
}
