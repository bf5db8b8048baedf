import type { EventCategory, EventStatus } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';
import type { Queryable } from './db.ts';

export type StoredEvent = {
  id: string;
  provider: ProviderId;
  type: string;
  category: EventCategory;
  status: EventStatus;
  subjectId: string;
  subjectName: string | null;
  parentId: string | null;
  parentName: string | null;
  occurredAt: string;
  receivedAt: string;
  summary: string;
};

export type JobRun = {
  provider: ProviderId;
  subjectId: string;
  subjectName: string | null;
  parentId: string | null;
  parentName: string | null;
  category: EventCategory;
  type: string;
  status: EventStatus;
  occurredAt: string;
  eventId: string;
  summary: string;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: string;
};

export type EventFilter = {
  limit?: number;
  provider?: ProviderId;
  status?: EventStatus;
  /** Only events received at or after this time. */
  since?: Date;
};
export type JobRunFilter = { limit?: number; provider?: ProviderId; status?: EventStatus };

const MAX_LIMIT = 1_000;

/** The newest events first, by when they were received. */
export async function recentEvents(db: Queryable, filter: EventFilter = {}): Promise<StoredEvent[]> {
  const { rows } = await db.query<EventRow>(
    `select id, provider, type, category, status, subject_id, subject_name, parent_id, parent_name,
            occurred_at, received_at, summary
     from webhook_events
     where ($1::text is null or provider = $1) and ($2::text is null or status = $2)
       and ($4::timestamptz is null or received_at >= $4)
     order by received_at desc, id desc
     limit $3`,
    [filter.provider ?? null, filter.status ?? null, clampLimit(filter.limit, 50), filter.since?.toISOString() ?? null],
  );
  return rows.map(storedEventOfRow);
}

export function storedEventOfRow(row: EventRow): StoredEvent {
  return {
    id: row.id,
    provider: row.provider,
    type: row.type,
    category: row.category,
    status: row.status,
    subjectId: row.subject_id,
    subjectName: row.subject_name,
    parentId: row.parent_id,
    parentName: row.parent_name,
    occurredAt: iso(row.occurred_at),
    receivedAt: iso(row.received_at),
    summary: row.summary,
  };
}

/** Each run's latest status: failures first (failed, then partial), then the most recent. */
export async function jobRuns(db: Queryable, filter: JobRunFilter = {}): Promise<JobRun[]> {
  const { rows } = await db.query<JobRunRow>(
    `select provider, subject_id, subject_name, parent_id, parent_name, category, type, status,
            occurred_at, event_id, summary, error_code, error_message, updated_at
     from job_runs
     where ($1::text is null or provider = $1) and ($2::text is null or status = $2)
     order by case status when 'failed' then 0 when 'partial' then 1 else 2 end, occurred_at desc, provider, subject_id
     limit $3`,
    [filter.provider ?? null, filter.status ?? null, clampLimit(filter.limit, 200)],
  );
  return rows.map(jobRunOfRow);
}

/** One run's job_runs row: its latest status and the event that set it. */
export async function jobRun(db: Queryable, provider: ProviderId, subjectId: string): Promise<JobRun | undefined> {
  const { rows } = await db.query<JobRunRow>(
    `select provider, subject_id, subject_name, parent_id, parent_name, category, type, status,
            occurred_at, event_id, summary, error_code, error_message, updated_at
     from job_runs where provider = $1 and subject_id = $2`,
    [provider, subjectId],
  );
  return rows[0] ? jobRunOfRow(rows[0]) : undefined;
}

export function jobRunOfRow(row: JobRunRow): JobRun {
  return {
    provider: row.provider,
    subjectId: row.subject_id,
    subjectName: row.subject_name,
    parentId: row.parent_id,
    parentName: row.parent_name,
    category: row.category,
    type: row.type,
    status: row.status,
    occurredAt: iso(row.occurred_at),
    eventId: row.event_id,
    summary: row.summary,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    updatedAt: iso(row.updated_at),
  };
}

export type EventRow = {
  id: string;
  provider: ProviderId;
  type: string;
  category: EventCategory;
  status: EventStatus;
  subject_id: string;
  subject_name: string | null;
  parent_id: string | null;
  parent_name: string | null;
  occurred_at: Date;
  received_at: Date;
  summary: string;
};

export type JobRunRow = {
  provider: ProviderId;
  subject_id: string;
  subject_name: string | null;
  parent_id: string | null;
  parent_name: string | null;
  category: EventCategory;
  type: string;
  status: EventStatus;
  occurred_at: Date;
  event_id: string;
  summary: string;
  error_code: string | null;
  error_message: string | null;
  updated_at: Date;
};

function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** What webhook_events keeps of one event's request body. */
export type StoredBody = {
  /** The body byte for byte, as received and signed; null on rows stored before migration 3. */
  bytes: Buffer | null;
  /** The `raw` jsonb column: the body's JSON, or its text as one string when jsonb could not hold it. */
  raw: unknown;
  /** Whether `raw` is the body's text as a string rather than its JSON. */
  rawIsText: boolean;
};

/** The stored body of one event, by event key; undefined when no such row exists. */
export async function storedBody(db: Queryable, eventId: string): Promise<StoredBody | undefined> {
  const { rows } = await db.query<{ raw_bytes: Uint8Array | null; raw: unknown; raw_is_text: boolean }>(
    `select raw_bytes, raw, jsonb_typeof(raw) = 'string' as raw_is_text from webhook_events where id = $1`,
    [eventId],
  );
  const row = rows[0];
  if (!row) return undefined;
  // pg gives a Buffer, PGlite a Uint8Array.
  return { bytes: row.raw_bytes === null ? null : Buffer.from(row.raw_bytes), raw: row.raw, rawIsText: row.raw_is_text };
}
