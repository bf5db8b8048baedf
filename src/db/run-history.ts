import type { ProviderId } from '../providers/registry.ts';
import type { Queryable } from './db.ts';
import { jobRunOfRow, storedEventOfRow, type EventRow, type JobRun, type JobRunRow, type StoredEvent } from './queries.ts';

/** One event of a run's timeline, with the error it carried (a failure's message, a pause's reason). */
export type TimelineEvent = StoredEvent & { errorCode: string | null; errorMessage: string | null };

/** A run of a series: its job_runs row, when its first event occurred and how many events it has. */
export type SeriesRun = JobRun & { firstAt: string; events: number };

export const TIMELINE_LIMIT = 500;

/** A run's events oldest first (the latest TIMELINE_LIMIT of them), on the subject index. */
export async function runTimeline(
  db: Queryable,
  provider: ProviderId,
  subjectId: string,
): Promise<{ events: TimelineEvent[]; truncated: boolean }> {
  const { rows } = await db.query<EventRow & { error_code: string | null; error_message: string | null }>(
    `select id, provider, type, category, status, subject_id, subject_name, parent_id, parent_name,
            occurred_at, received_at, summary,
            event #>> '{error,code}' as error_code, event #>> '{error,message}' as error_message
     from webhook_events
     where provider = $1 and subject_id = $2
     order by occurred_at desc, received_at desc, id desc
     limit $3`,
    [provider, subjectId, TIMELINE_LIMIT + 1],
  );
  return {
    events: rows
      .slice(0, TIMELINE_LIMIT)
      .reverse()
      .map((row) => ({ ...storedEventOfRow(row), errorCode: row.error_code, errorMessage: row.error_message })),
    truncated: rows.length > TIMELINE_LIMIT,
  };
}

/**
 * A series' latest runs, newest first (series = the parent when there is one, else the subject:
 * src/db/incidents.ts seriesOf), on job_runs_series_idx. Each run's first event is found on the subject index.
 */
export async function seriesRuns(db: Queryable, provider: ProviderId, seriesId: string, limit = 50): Promise<SeriesRun[]> {
  const { rows } = await db.query<JobRunRow & { first_at: Date | null; events: string }>(
    `select r.provider, r.subject_id, r.subject_name, r.parent_id, r.parent_name, r.category, r.type, r.status,
            r.occurred_at, r.event_id, r.summary, r.error_code, r.error_message, r.updated_at,
            f.first_at, f.events
     from job_runs r
     cross join lateral (
       select min(e.occurred_at) as first_at, count(*) as events
       from webhook_events e where e.provider = r.provider and e.subject_id = r.subject_id
     ) f
     where r.provider = $1 and coalesce(r.parent_id, r.subject_id) = $2
     order by r.occurred_at desc, r.subject_id desc
     limit $3`,
    [provider, seriesId, Math.min(500, Math.max(1, Math.floor(limit)))],
  );
  return rows.map((row) => {
    const run = jobRunOfRow(row);
    return { ...run, firstAt: row.first_at === null ? run.occurredAt : new Date(row.first_at).toISOString(), events: Number(row.events) };
  });
}
