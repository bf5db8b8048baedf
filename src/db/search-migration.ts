import type { Migration } from './migrations.ts';

/**
 * What the status page's search, keyset pages and charts read, as SQL expressions: the queries
 * (src/db/event-search.ts) repeat them character for character, so the expression indexes match.
 */
export const EVENT_WHO_TEXT = `(subject_id || ' ' || coalesce(subject_name, '') || ' ' || coalesce(parent_id, '') || ' ' || coalesce(parent_name, ''))`;
export const EVENT_ERROR_TEXT = `(summary || ' ' || coalesce(event #>> '{error,code}', '') || ' ' || coalesce(event #>> '{error,message}', ''))`;
export const RUN_WHO_TEXT = EVENT_WHO_TEXT;
export const RUN_ERROR_TEXT = `(summary || ' ' || coalesce(error_code, '') || ' ' || coalesce(error_message, ''))`;
export const RUN_SERIES = `(coalesce(parent_id, subject_id))`;

/**
 * Trigram GIN indexes where pg_trgm can be had. It is created in `public`, once per database, and
 * named by its schema in the index: every hookline schema of the database shares it, and dropping
 * one schema never takes it (or another schema's indexes) away. The embedded database (PGlite, as
 * opened by src/db/pglite-db.ts) has no pg_trgm: there the exception is swallowed, no trigram index
 * is made, and text search runs the same ILIKE without one (a scan; fine at a laptop's volumes).
 */
const TRIGRAM_INDEX = (name: string, table: string, expression: string) => `
do $$
declare opclass text;
begin
  begin
    create extension if not exists pg_trgm schema public;
  exception when others then
    raise notice 'pg_trgm unavailable (%): % has no trigram index', sqlerrm, '${name}';
  end;
  select quote_ident(n.nspname) || '.gin_trgm_ops' into opclass
    from pg_opclass c join pg_namespace n on n.oid = c.opcnamespace join pg_am a on a.oid = c.opcmethod
    where c.opcname = 'gin_trgm_ops' and a.amname = 'gin' limit 1;
  if opclass is not null then
    execute format('create index ${name} on ${table} using gin (%s %s)', '${expression.replaceAll("'", "''")}', opclass);
  end if;
end $$`;

/** Migration 4: keyset pages on indexed columns (no OFFSET), series lookups, text search. */
export const SEARCH_MIGRATION: Migration = {
  version: 4,
  name: 'status page search, keyset and series indexes',
  statements: [
    // Keyset order of the event lists: (received_at, id) descending, whole and per provider / status.
    `create index webhook_events_received_id_idx on webhook_events (received_at desc, id desc)`,
    `create index webhook_events_provider_received_id_idx on webhook_events (provider, received_at desc, id desc)`,
    `create index webhook_events_status_received_id_idx on webhook_events (status, received_at desc, id desc)`,
    // Exact subject / parent ids, across providers.
    `create index webhook_events_subject_id_idx on webhook_events (subject_id, received_at desc)`,
    `create index webhook_events_parent_id_idx on webhook_events (parent_id, received_at desc) where parent_id is not null`,
    // Keyset order of the run list: (occurred_at, provider, subject_id) descending.
    `create index job_runs_keyset_idx on job_runs (occurred_at desc, provider desc, subject_id desc)`,
    `create index job_runs_provider_keyset_idx on job_runs (provider, occurred_at desc, subject_id desc)`,
    `create index job_runs_status_keyset_idx on job_runs (status, occurred_at desc, provider desc, subject_id desc)`,
    // The charts count a window of hours by status and provider, and the database's latency:
    // an index-only scan of the window, whatever else the rows hold.
    `create index webhook_events_chart_idx on webhook_events (received_at) include (status, provider, stored_at)`,
    // A series' runs (series = parent when there is one, else the subject), newest first.
    `create index job_runs_series_idx on job_runs (provider, ${RUN_SERIES}, occurred_at desc)`,
    `create index incidents_series_idx on incidents (provider, series_id, opened_at desc)`,
    TRIGRAM_INDEX('webhook_events_who_trgm_idx', 'webhook_events', EVENT_WHO_TEXT),
    TRIGRAM_INDEX('webhook_events_error_trgm_idx', 'webhook_events', EVENT_ERROR_TEXT),
    TRIGRAM_INDEX('job_runs_who_trgm_idx', 'job_runs', RUN_WHO_TEXT),
    TRIGRAM_INDEX('job_runs_error_trgm_idx', 'job_runs', RUN_ERROR_TEXT),
  ],
};
