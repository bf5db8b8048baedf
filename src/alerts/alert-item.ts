import type { EventCategory, EventStatus, NormalizedEvent } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';

/** What runs again and again: `(provider, parent.id)` when the event has a parent, else `(provider, subject.id)`. */
export type SeriesRef = { id: string; name?: string | undefined };

/**
 * What the incident bookkeeping (src/db/incidents.ts) learned about one event, written in the same
 * transaction as its job_runs row and kept on its webhook_events row, so a retried job finds it again.
 */
export type AlertNotes = {
  /** A failed or partial run of a series with an open incident: the n-th failed run since `since`. */
  failing?: { incidentId: string; series: SeriesRef; failureNumber: number; since: string };
  /** The series' next succeeded run after failures: resolves the incident. */
  recovered?: { incidentId: string; series: SeriesRef; runsFailed: number; since: string };
  /** The terminal event of a run that had been reported stuck. */
  unstuck?: { incidentId: string; lastActivityAt: string; stuckForSeconds: number };
};

/** A run whose latest status stayed `started`, `running` or `resumed` for too long. */
export type StuckReport = {
  incidentId: string;
  provider: ProviderId;
  category: EventCategory;
  /** The run's latest status, the one it is stuck in. */
  status: EventStatus;
  subject: { id: string; name?: string | undefined };
  parent?: { id: string; name?: string | undefined } | undefined;
  /** The event key of the run's latest event. */
  lastEventId: string;
  /** ISO 8601 UTC: when that event occurred. */
  lastEventAt: string;
  /** ISO 8601 UTC: when the check found it. */
  detectedAt: string;
  stuckAfterSeconds: number;
};

/** One thing a Slack or email destination reports: an event (with what incidents say of it), or a stuck run. */
export type AlertItem =
  | { kind: 'event'; event: NormalizedEvent; notes?: AlertNotes | undefined }
  | { kind: 'stuck'; report: StuckReport };

/** The identity a delivery record and a digest line use: the event key, or `stuck:<incident id>`. */
export function alertKey(item: AlertItem): string {
  return item.kind === 'event' ? item.event.id : `stuck:${item.report.incidentId}`;
}

/** Lower goes first (BullMQ priorities): failures are never stuck behind a queue of successes. */
export function alertPriority(item: AlertItem): number {
  if (item.kind === 'stuck') return 1;
  switch (item.event.status) {
    case 'failed':
      return 1;
    case 'partial':
      return 2;
    default:
      return item.event.status === 'succeeded' && (item.notes?.recovered || item.notes?.unstuck) ? 3 : 5;
  }
}

export function itemProvider(item: AlertItem): ProviderId {
  return item.kind === 'event' ? item.event.provider : item.report.provider;
}
