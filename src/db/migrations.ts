import type { Db, Queryable } from './db.ts';
import { SEARCH_MIGRATION } from './search-migration.ts';

export type Migration = { version: number; name: string; statements: readonly string[] };

/**
 * Append only: a released migration never changes. One statement per entry, because PGlite's
 * extended-protocol queries (and pg's with parameters) take exactly one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'webhook_events and job_runs',
    statements: [
      `create table webhook_events (
        id           text primary key,
        provider     text not null,
        type         text not null,
        category     text not null,
        status       text not null,
        subject_id   text not null,
        subject_name text,
        parent_id    text,
        parent_name  text,
        occurred_at  timestamptz not null,
        received_at  timestamptz not null,
        summary      text not null,
        event        jsonb not null,
        raw          jsonb not null,
        stored_at    timestamptz not null default now()
      )`,
      `create index webhook_events_received_at_idx on webhook_events (received_at desc)`,
      `create index webhook_events_provider_status_idx on webhook_events (provider, status, received_at desc)`,
      `create index webhook_events_status_idx on webhook_events (status, received_at desc)`,
      `create index webhook_events_subject_idx on webhook_events (provider, subject_id, occurred_at desc)`,
      // status_rank and received_at exist for the tie-break of src/db/write-events.ts.
      `create table job_runs (
        provider      text not null,
        subject_id    text not null,
        subject_name  text,
        parent_id     text,
        parent_name   text,
        category      text not null,
        type          text not null,
        status        text not null,
        status_rank   smallint not null,
        occurred_at   timestamptz not null,
        received_at   timestamptz not null,
        event_id      text not null,
        summary       text not null,
        error_code    text,
        error_message text,
        updated_at    timestamptz not null default now(),
        primary key (provider, subject_id)
      )`,
      `create index job_runs_status_idx on job_runs (status, occurred_at desc)`,
      `create index job_runs_occurred_at_idx on job_runs (occurred_at desc)`,
    ],
  },
  {
    version: 2,
    name: 'incidents and webhook_events.alert',
    statements: [
      // One row per incident of a series (kind 'failing') or of a run (kind 'stuck'); src/db/incidents.ts.
      `create table incidents (
        id                   bigint generated always as identity primary key,
        provider             text not null,
        series_id            text not null,
        series_name          text,
        kind                 text not null check (kind in ('failing', 'stuck')),
        subject_id           text,
        opened_at            timestamptz not null,
        resolved_at          timestamptz,
        runs_failed          integer not null default 0,
        first_event_id       text,
        last_event_id        text not null,
        last_failed_at       timestamptz,
        resolved_by_event_id text,
        notified_at          timestamptz,
        stuck_after_seconds  integer,
        created_at           timestamptz not null default now(),
        updated_at           timestamptz not null default now(),
        check (kind <> 'stuck' or subject_id is not null)
      )`,
      // At most one open failing incident per series.
      `create unique index incidents_open_failing_uq on incidents (provider, series_id) where kind = 'failing' and resolved_at is null`,
      // A run is reported stuck once per latest activity (opened_at = that event's occurred_at), even after resolution.
      `create unique index incidents_stuck_uq on incidents (provider, subject_id, opened_at) where kind = 'stuck'`,
      `create index incidents_open_stuck_idx on incidents (provider, subject_id) where kind = 'stuck' and resolved_at is null`,
      `create index incidents_pending_stuck_idx on incidents (created_at) where kind = 'stuck' and resolved_at is null and notified_at is null`,
      `create index incidents_opened_at_idx on incidents (opened_at desc)`,
      // The AlertNotes computed when the event was first stored: a retried job gets the same notes back.
      `alter table webhook_events add column alert jsonb`,
      // The series' latest success before a failure (series = parent when there is one, else the subject).
      `create index webhook_events_series_success_idx on webhook_events (provider, (coalesce(parent_id, subject_id)), occurred_at desc)
        where status = 'succeeded'`,
      // The stuck check: runs still in progress, oldest first, per provider threshold.
      `create index job_runs_active_idx on job_runs (provider, occurred_at) where status in ('started', 'running', 'resumed')`,
    ],
  },
  {
    version: 3,
    name: 'webhook_events.raw_bytes',
    statements: [
      // The body byte for byte, as signed: `raw` (jsonb) cannot be, since jsonb re-spaces and reorders,
      // shows bytes that are not UTF-8 as U+FFFD, and refuses numbers beyond numeric's range (such a
      // body is kept in `raw` as one JSON string). Null on rows stored before this migration.
      `alter table webhook_events add column raw_bytes bytea`,
      `comment on column webhook_events.raw_bytes is 'The request body exactly as received and signed (null on rows stored before migration 3).'`,
      `comment on column webhook_events.raw is 'The body as received: its JSON when jsonb can hold it, else its text as one JSON string (not JSON, or a number beyond numeric''s range); bytes that are not UTF-8 as U+FFFD. Exact bytes: raw_bytes.'`,
    ],
  },
  SEARCH_MIGRATION,
  {
    version: 5,
    name: 'webhook_events: lz4 for the stored bodies',
    statements: [
      // Compressing the bodies is most of a row's insert cost with the default pglz; lz4 costs a
      // fraction of it. New values only (old ones stay readable as they are). A server built without
      // lz4 (PGlite) keeps the default.
      `do $$
begin
  alter table webhook_events
    alter column raw set compression lz4,
    alter column raw_bytes set compression lz4,
    alter column event set compression lz4;
exception when others then
  raise notice 'lz4 unavailable (%): webhook_events keeps the default compression', sqlerrm;
end $$`,
    ],
  },
];

/** Arbitrary constant ("hkln"); the second key is the schema, so separate schemas migrate in parallel. */
const LOCK_KEY = 0x686b6c6e;
const MIGRATION_TIMEOUT_MS = 10 * 60_000;

/**
 * Applies the missing migrations in order, all in one transaction under an advisory lock: processes
 * starting together wait for the first, then find nothing left to do. PGlite has the same function
 * (one session, so the lock is uncontended), so both databases run identical SQL.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<{ applied: number[] }> {
  // Another process may hold the lock while it builds indexes: wait longer than the usual 10 s bounds.
  return db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(${LOCK_KEY}, hashtext(coalesce(current_schema(), '')))`);
    await tx.query(`create table if not exists schema_migrations (
      version    integer primary key,
      name       text not null,
      applied_at timestamptz not null default now()
    )`);
    const done = await appliedVersions(tx);
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return { applied };
  }, { timeoutMs: MIGRATION_TIMEOUT_MS });
}

async function appliedVersions(tx: Queryable): Promise<Set<number>> {
  const { rows } = await tx.query<{ version: number }>('select version from schema_migrations');
  return new Set(rows.map((row) => Number(row.version)));
}
