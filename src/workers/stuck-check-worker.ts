import { FlowProducer, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../db/db.ts';
import { markStuckNotified, openStuckIncidents, pendingStuckReports } from '../db/incidents.ts';
import type { ProviderId } from '../providers/registry.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { AlertSink } from '../sinks/sink.ts';
import { alertJobs } from './alert-fan-out.ts';
import { MAINTENANCE_QUEUE } from '../queue/contract.ts';
import { queueTelemetry } from '../tracing/queue-tracing.ts';

export const STUCK_CHECK_SCHEDULER = 'stuck-check';
const REPORTS_PER_RUN = 500;

export type StuckCheckResult = { opened: number; reported: number };

/**
 * Finds runs stuck in started/running/resumed past their provider's threshold. A BullMQ job
 * scheduler runs it: one run per interval across every worker process, whichever takes it. Each
 * stuck run becomes one `stuck` incident (unique per run and its last activity, so two checks at
 * once still open one), and its report is queued to every destination that receives failures with
 * job ids derived from the incident; the incident is marked notified only after that, so a check
 * that died in between queues the same jobs again next time, and BullMQ keeps one of each.
 */
export async function runStuckCheck(deps: {
  db: Db;
  flow: FlowProducer;
  alerts: readonly AlertSink[];
  thresholds: Readonly<Record<ProviderId, number>>;
  metrics: Metrics;
  logger: Logger;
}): Promise<StuckCheckResult> {
  const opened = await openStuckIncidents(deps.db, { thresholds: deps.thresholds });
  if (opened > 0) deps.metrics.incidents.inc({ kind: 'stuck', change: 'opened' }, opened);
  const reports = await pendingStuckReports(deps.db, REPORTS_PER_RUN);
  if (reports.length === 0) return { opened, reported: 0 };
  const jobs = reports.flatMap((report) => alertJobs({ kind: 'stuck', report }, deps.alerts, `stuck-${report.incidentId}`));
  if (jobs.length > 0) await deps.flow.addBulk(jobs);
  await markStuckNotified(deps.db, reports.map((report) => report.incidentId));
  deps.logger.info(
    { stuck: reports.map((r) => ({ provider: r.provider, subject: r.subject.id, lastEventAt: r.lastEventAt })).slice(0, 20), jobs: jobs.length },
    'stuck runs reported',
  );
  return { opened, reported: reports.length };
}

export function createStuckCheckWorker(deps: {
  connection: Redis;
  prefix: string;
  db: Db;
  alerts: readonly AlertSink[];
  thresholds: Readonly<Record<ProviderId, number>>;
  intervalMs: number;
  logger: Logger;
  metrics: Metrics;
  locks?: { lockDuration: number; stalledInterval: number };
}): { worker: Worker; queue: Queue; flow: FlowProducer; ready: Promise<void> } {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: deps.connection, prefix: deps.prefix, ...queueTelemetry() });
  queue.on('error', (error) => deps.logger.warn({ err: error }, 'maintenance queue connection error'));
  const flow = new FlowProducer({ connection: deps.connection, prefix: deps.prefix, ...queueTelemetry() });
  flow.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out connection error'));
  const enabled = Object.values(deps.thresholds).some((seconds) => seconds > 0);
  // Every process upserts the same scheduler: one definition, whichever started last sets the interval.
  const ready = enabled
    ? queue
        .upsertJobScheduler(
          STUCK_CHECK_SCHEDULER,
          { every: deps.intervalMs },
          { name: STUCK_CHECK_SCHEDULER, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
        )
        .then(() => undefined)
    : queue.removeJobScheduler(STUCK_CHECK_SCHEDULER).then(() => undefined);
  ready.catch((error: unknown) => deps.logger.warn({ err: error }, 'could not set up the stuck-run check'));
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.name !== STUCK_CHECK_SCHEDULER) return undefined;
      return runStuckCheck({ ...deps, flow });
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, ...deps.locks, ...queueTelemetry() },
  );
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'maintenance worker error'));
  worker.on('failed', (job, error) => deps.logger.warn({ jobId: job?.id, reason: error.message }, 'stuck-run check failed; it runs again at the next interval'));
  return { worker, queue, flow, ready };
}
