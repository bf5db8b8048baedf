import type { FlowJob } from 'bullmq';
import { alertPriority, type AlertItem } from '../alerts/alert-item.ts';
import type { AlertSink } from '../sinks/sink.ts';
import { DELIVERY_JOB_OPTIONS, deliveryQueueName, type AlertJobData } from '../queue/contract.ts';

/**
 * The id of a destination's job for one alert is derived from its origin (the ingest job, or the
 * stuck incident), so adding it again — a retried ingest job, the database fallback re-routing an
 * event after its incidents are known, a stuck check that ran twice — never adds a second job.
 */
export function alertJobId(origin: string, destinationId: string): string {
  return `${origin}-${destinationId}`;
}

/** One job per destination whose route wants the alert, ordered failures first by priority. */
export function alertJobs(item: AlertItem, sinks: readonly AlertSink[], origin: string): FlowJob[] {
  const name = item.kind === 'event' ? item.event.provider : item.report.provider;
  return sinks
    .filter((sink) => sink.accepts(item))
    .map((sink) => ({
      name,
      queueName: deliveryQueueName(sink.id),
      data: { item, ...(item.kind === 'event' ? { ingestJobId: origin } : {}) } satisfies AlertJobData,
      opts: { ...DELIVERY_JOB_OPTIONS, jobId: alertJobId(origin, sink.id), priority: alertPriority(item) },
    }));
}
