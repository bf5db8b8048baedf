import { FlowProducer, Worker, type FlowJob, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AlertNotes } from '../alerts/alert-item.ts';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import { normalize } from '../normalizers/normalize.ts';
import { SinkError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { DatabaseSink } from '../sinks/database.ts';
import type { AlertSink, Delivery } from '../sinks/sink.ts';
import { alertJobs } from './alert-fan-out.ts';
import { createBatcher } from './batcher.ts';
import { applyOutcome, jobOutcome } from './job-outcome.ts';
import { DATABASE_QUEUE, DELIVERY_JOB_OPTIONS, INGEST_QUEUE, type DatabaseJobData, type IngestJobData } from '../queue/contract.ts';
import { inContextOfFirstJob, queueTelemetry, withTraceContext } from '../tracing/queue-tracing.ts';
import { traceDatabaseWrite } from '../tracing/sink-tracing.ts';

export type NormalizeResult = {
  eventId: string;
  status: NormalizedEvent['status'];
  /** The destinations that got a job for it. */
  sinks: string[];
  /** The database, when the write in place succeeded (no delivery job for it). */
  writtenInPlace?: string;
  notes?: AlertNotes;
};

type Deps = {
  connection: Redis;
  prefix: string;
  database: DatabaseSink;
  alerts: readonly AlertSink[];
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

/** The database fallback job's id derives from the ingest job: a retried ingest never adds a second. */
function deliveryJobId(ingestJobId: string, sink: string): string {
  return `${ingestJobId}-${sink}`;
}

export function databaseJob(event: NormalizedEvent, raw: string, ingestJobId: string): FlowJob {
  return {
    name: event.provider,
    queueName: DATABASE_QUEUE,
    data: { event, raw, ingestJobId } satisfies DatabaseJobData,
    opts: { ...DELIVERY_JOB_OPTIONS, jobId: deliveryJobId(ingestJobId, 'database') },
  };
}

/**
 * Normalizes each ingested event, writes it to the database — batched across the jobs running
 * concurrently, in one transaction with its run and its series' incidents — and fans it out to
 * every destination whose route wants it, with what the incidents say of it (n-th failure,
 * recovered, no longer stuck). Fan-outs of concurrent jobs go to Redis as one transaction.
 *
 * When the write fails (the database is down), the alerts still go out at once, plain, and the
 * event goes to the database's own queue, whose retries later also send whatever its incidents
 * turn out to require (a recovery) to the destinations that did not get it yet.
 * An event that cannot be normalized fails at once and stays in the failed set with its raw body.
 */
export function createNormalizeWorker(deps: Deps): { worker: Worker<IngestJobData, NormalizeResult>; flow: FlowProducer } {
  const flow = new FlowProducer({ connection: deps.connection, prefix: deps.prefix, ...queueTelemetry() });
  flow.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out connection error'));

  const fanOut = createBatcher<FlowJob[]>((batches) => inContextOfFirstJob(batches.flat(), (all) => flow.addBulk(all)).then(() => undefined), {
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });
  const write = createBatcher<Delivery, AlertNotes | undefined>(
    async (batch) => {
      const notes = await deps.database.write(batch, AbortSignal.timeout(deps.writeTimeoutMs));
      return batch.map((delivery) => notes.get(delivery.event.id));
    },
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT, splitOnError: (error) => error instanceof SinkError && !error.retryable },
  );

  /** Whatever a job throws goes through the one outcome mapping (src/workers/job-outcome.ts). */
  async function process(job: Job<IngestJobData, NormalizeResult>, token?: string): Promise<NormalizeResult> {
    try {
      return await normalizeJob(job);
    } catch (error) {
      const outcome = jobOutcome(error);
      if (outcome.kind === 'unnormalizable') {
        const raw = job.data;
        deps.metrics.normalized.inc({ provider: raw.provider, outcome: 'unnormalizable' });
        deps.logger.warn({ eventKey: raw.key, provider: raw.provider, jobId: job.id, reason: outcome.reason }, 'event kept as unnormalizable');
      }
      throw await applyOutcome(outcome, { job, token });
    }
  }

  async function normalizeJob(job: Job<IngestJobData, NormalizeResult>): Promise<NormalizeResult> {
    const raw = job.data;
    const event: NormalizedEvent = normalize(raw);
    const jobId = job.id ?? raw.key;

    let notes: AlertNotes | undefined;
    let written = false;
    try {
      notes = await traceDatabaseWrite(event, 'in_place', () => write({ event, raw: raw.body }));
      written = true;
      deps.metrics.deliveries.inc({ sink: 'database', outcome: 'delivered' });
      deps.metrics.deliveredLatency.observe({ sink: 'database' }, (Date.now() - Date.parse(event.receivedAt)) / 1000);
      countIncidents(deps.metrics, notes);
    } catch (error) {
      deps.logger.warn(
        { eventKey: event.id, sink: 'database', reason: error instanceof Error ? error.message : String(error) },
        'write in place failed; the event goes to the database queue, its alerts go out plain',
      );
    }

    const jobs = alertJobs({ kind: 'event', event, notes }, deps.alerts, jobId);
    if (!written) jobs.push(databaseJob(event, raw.body, jobId));
    // Fan-outs of concurrent jobs go out as one batch: each job carries this event's trace context.
    if (jobs.length > 0) await fanOut(withTraceContext(jobs));

    deps.metrics.normalized.inc({ provider: raw.provider, outcome: 'normalized' });
    const destinations = jobs.map((j) => j.queueName.replace(/^deliver-/, '')).filter((id) => id !== 'database');
    deps.logger.debug({ eventKey: event.id, status: event.status, destinations, notes }, 'event normalized');
    return {
      eventId: event.id,
      status: event.status,
      sinks: written ? ['database', ...destinations] : destinations,
      ...(written ? { writtenInPlace: 'database' } : {}),
      ...(notes ? { notes } : {}),
    };
  }

  const worker = new Worker<IngestJobData, NormalizeResult>(INGEST_QUEUE, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    ...queueTelemetry(),
    concurrency: deps.concurrency,
    maxStalledCount: 2,
    ...deps.locks,
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'normalize worker error'));
  return { worker, flow };
}

export function countIncidents(metrics: Metrics, notes: AlertNotes | undefined): void {
  if (!notes) return;
  if (notes.failing?.failureNumber === 1) metrics.incidents.inc({ kind: 'failing', change: 'opened' });
  if (notes.recovered) metrics.incidents.inc({ kind: 'failing', change: 'resolved' });
  if (notes.unstuck) metrics.incidents.inc({ kind: 'stuck', change: 'resolved' });
}
