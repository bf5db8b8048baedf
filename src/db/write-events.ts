import type { EventStatus, NormalizedEvent } from '../normalizers/normalized-event.ts';
import type { Queryable } from './db.ts';
import { hasEscapedBytes, rawBodyBytes } from '../queue/raw-body.ts';
import { jsonbText, pgText, pgTextOrNull, rawJsonbText } from './pg-text.ts';

/** `raw` is the body as RawEvent.body carries it (src/normalizers/raw-event.ts): its exact bytes are stored. */
export type EventToStore = { event: NormalizedEvent; raw: string };

/**
 * Breaks ties between two events of one run with the same occurred_at (a run that started and
 * finished in the same millisecond): a later stage wins, terminal statuses last of all.
 */
export const STATUS_RANK: Readonly<Record<EventStatus, number>> = {
  started: 0,
  running: 1,
  paused: 1,
  resumed: 1,
  canceled: 2,
  succeeded: 2,
  partial: 2,
  failed: 2,
};

/**
 * One statement, so the event row and the run row are written together or not at all. Arrays and
 * unnest keep the parameter count at 19 whatever the batch size (the protocol caps it at 65,535).
 *
 * raw_bytes is the body byte for byte: `$18` carries it in base64 when it differs from the UTF-8 of
 * the `raw` text (`$17`), and is null when they are the same bytes (an ordinary JSON body, the usual
 * case), so that a body crosses the wire once, not twice.
 *
 * `$19` is the event's alert notes (src/db/incidents.ts decides them before the write), so that a
 * row is written once, with its notes, never inserted and then updated.
 *
 * job_runs keeps, per (provider, subject_id), the event that is greatest by
 * (occurred_at, status_rank, received_at, event_id): latest by occurred_at; on a tie the later
 * stage; then the later arrival; then the event id, so the result never depends on arrival order.
 * Within a batch DISTINCT ON picks that event first: ON CONFLICT DO UPDATE may touch a row only once.
 *
 * `EVENTS_CTES` ends with the CTEs `inserted` (the ids stored) and `runs`; a statement appends its
 * own CTEs (numbered from `$20`) and final select.
 */
export const EVENTS_CTES = `
with input as (
  select * from unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[], $15::text[],
    $16::text[], $17::text[], $18::text[], $19::text[]
  ) as t(id, provider, type, category, status, status_rank, subject_id, subject_name,
         parent_id, parent_name, occurred_at, received_at, summary, error_code, error_message,
         event, raw, raw_base64, alert)
),
inserted as (
  insert into webhook_events (id, provider, type, category, status, subject_id, subject_name, parent_id,
                              parent_name, occurred_at, received_at, summary, event, raw, raw_bytes, alert)
  select distinct on (id) id, provider, type, category, status, subject_id, subject_name, parent_id,
         parent_name, occurred_at, received_at, summary, event::jsonb, raw::jsonb,
         coalesce(decode(raw_base64, 'base64'), convert_to(raw, 'UTF8')), alert::jsonb
  from input
  order by id
  on conflict (id) do nothing
  returning id
),
latest as (
  select distinct on (provider, subject_id) *
  from input
  order by provider, subject_id, occurred_at desc, status_rank desc, received_at desc, id desc
),
runs as (
  insert into job_runs as r (provider, subject_id, subject_name, parent_id, parent_name, category, type, status,
                             status_rank, occurred_at, received_at, event_id, summary, error_code, error_message)
  select provider, subject_id, subject_name, parent_id, parent_name, category, type, status,
         status_rank, occurred_at, received_at, id, summary, error_code, error_message
  from latest
  on conflict (provider, subject_id) do update set
    subject_name  = coalesce(excluded.subject_name, r.subject_name),
    parent_id     = coalesce(excluded.parent_id, r.parent_id),
    parent_name   = coalesce(excluded.parent_name, r.parent_name),
    category      = excluded.category,
    type          = excluded.type,
    status        = excluded.status,
    status_rank   = excluded.status_rank,
    occurred_at   = excluded.occurred_at,
    received_at   = excluded.received_at,
    event_id      = excluded.event_id,
    summary       = excluded.summary,
    error_code    = excluded.error_code,
    error_message = excluded.error_message,
    updated_at    = now()
  where (excluded.occurred_at, excluded.status_rank, excluded.received_at, excluded.event_id)
      > (r.occurred_at, r.status_rank, r.received_at, r.event_id)
  returning 1
)`;

export const EVENTS_RESULT = `(select count(*) from inserted) as inserted, (select count(*) from runs) as runs_changed,
       (select coalesce(array_agg(id), '{}') from inserted) as inserted_ids`;

const WRITE_EVENTS = `${EVENTS_CTES}
select ${EVENTS_RESULT}`;

export type WriteResult = {
  inserted: number;
  runsChanged: number;
  /**
   * The event keys this call stored (not those already there), as stored: after pgText, so an id
   * holding NUL or a lone surrogate appears with U+FFFD in its place.
   */
  insertedIds: string[];
};

/** The 19 parameters of EVENTS_CTES, the notes column (the last) all null: see withAlerts. */
export function eventColumns(items: readonly EventToStore[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 19 }, () => new Array<unknown>(items.length));
  items.forEach(({ event, raw }, i) => {
    const rawText = rawJsonbText(raw);
    const row = [
      pgText(event.id),
      event.provider,
      pgText(event.type),
      event.category,
      event.status,
      STATUS_RANK[event.status],
      pgText(event.subject.id),
      pgTextOrNull(event.subject.name),
      pgTextOrNull(event.parent?.id),
      pgTextOrNull(event.parent?.name),
      event.occurredAt,
      event.receivedAt,
      pgText(event.summary),
      pgTextOrNull(event.error?.code),
      pgTextOrNull(event.error?.message),
      // Strings and safe integers only (the schema): JSON.stringify's numbers always fit jsonb.
      jsonbText(JSON.stringify(event)),
      rawText,
      rawText === raw && !hasEscapedBytes(raw) ? null : rawBodyBytes(raw).toString('base64'),
      null,
    ];
    row.forEach((value, column) => {
      columns[column]![i] = value;
    });
  });
  return columns;
}

/** The same columns with the notes (JSON) to store with each event key; the others are shared, not copied. */
export function withAlerts(columns: readonly unknown[][], alerts: ReadonlyMap<string, string>): unknown[][] {
  const ids = columns[0] as readonly string[];
  return [...columns.slice(0, 18), ids.map((id) => alerts.get(id) ?? null)];
}

export type WriteRow = { inserted: string; runs_changed: string; inserted_ids: string[] | null };

export function writeResult(row: WriteRow | undefined): WriteResult {
  return {
    inserted: Number(row?.inserted ?? 0),
    runsChanged: Number(row?.runs_changed ?? 0),
    insertedIds: row?.inserted_ids ?? [],
  };
}

/** Stores events idempotently (an event key already stored is left as it is) and advances job_runs. */
export async function writeEvents(db: Queryable, items: readonly EventToStore[]): Promise<WriteResult> {
  if (items.length === 0) return { inserted: 0, runsChanged: 0, insertedIds: [] };
  return writeEventColumns(db, eventColumns(items));
}

/** writeEvents with its parameters built already (eventColumns). */
export async function writeEventColumns(db: Queryable, columns: readonly unknown[][]): Promise<WriteResult> {
  const { rows } = await db.query<WriteRow>(WRITE_EVENTS, columns);
  return writeResult(rows[0]);
}
