import type { EventStatus } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';
import type { Queryable } from './db.ts';
import { jobRunOfRow, storedEventOfRow, type EventRow, type JobRun, type JobRunRow, type StoredEvent } from './queries.ts';
import { EVENT_ERROR_TEXT, EVENT_WHO_TEXT, RUN_ERROR_TEXT, RUN_WHO_TEXT } from './search-migration.ts';

/** What the status page's search form narrows events and runs by; every field is optional. */
export type SearchFilter = {
  provider?: ProviderId | undefined;
  status?: EventStatus | undefined;
  /** An event key, exactly (events: the event; runs: the run's latest event). */
  key?: string | undefined;
  /** Part of the subject's or the parent's id or name. */
  who?: string | undefined;
  /** Part of the summary or the error's code or message. */
  text?: string | undefined;
  /** Events: received at; runs: the latest event occurred at. `since` inclusive, `until` exclusive. */
  since?: Date | undefined;
  until?: Date | undefined;
};

/** Where the next page starts: the last row's sort key, timestamps to the microsecond. */
export type EventCursor = { at: string; id: string };
export type RunCursor = { at: string; provider: string; subjectId: string };

export type SearchPage<Item, Cursor> = { items: Item[]; next: Cursor | undefined };

export const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
const MAX_TERM_CHARS = 200;

/** Microseconds: a cursor of milliseconds would skip or repeat rows written within one. */
const CURSOR_AT = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`;

const EVENT_COLUMNS = `id, provider, type, category, status, subject_id, subject_name, parent_id, parent_name, occurred_at, received_at, summary`;
const RUN_COLUMNS = `provider, subject_id, subject_name, parent_id, parent_name, category, type, status,
  occurred_at, event_id, summary, error_code, error_message, updated_at`;

/**
 * Events newest first (received_at, then id), one keyset page after `after`. Every condition is an
 * indexed column or a trigram-indexed expression (migration 4); no OFFSET, so page 20,000 costs
 * what page 1 costs.
 */
export async function searchEvents(
  db: Queryable,
  filter: SearchFilter,
  after?: EventCursor,
  limit = PAGE_SIZE,
): Promise<SearchPage<StoredEvent, EventCursor>> {
  const where = new Conditions();
  if (filter.provider) where.add('provider = $?', filter.provider);
  if (filter.status) where.add('status = $?', filter.status);
  if (filter.key) where.add('id = $?', filter.key);
  if (filter.who) where.add(`${EVENT_WHO_TEXT} ilike $?`, containsPattern(filter.who));
  if (filter.text) where.add(`${EVENT_ERROR_TEXT} ilike $?`, containsPattern(filter.text));
  if (filter.since) where.add('received_at >= $?', filter.since.toISOString());
  if (filter.until) where.add('received_at < $?', filter.until.toISOString());
  if (after) where.add('(received_at, id) < ($?::timestamptz, $?)', after.at, after.id);
  const size = pageSize(limit);
  const { rows } = await db.query<EventRow & { cursor_at: string }>(
    `select ${EVENT_COLUMNS}, ${CURSOR_AT('received_at')}
     from webhook_events ${where.sql()}
     order by received_at desc, id desc
     limit ${size + 1}`,
    where.params,
  );
  const last = rows.length > size ? rows[size - 1] : undefined;
  return { items: rows.slice(0, size).map(storedEventOfRow), next: last ? { at: last.cursor_at, id: last.id } : undefined };
}

/** Runs (job_runs) by their latest event, newest first, one keyset page after `after`. */
export async function searchRuns(
  db: Queryable,
  filter: SearchFilter,
  after?: RunCursor,
  limit = PAGE_SIZE,
): Promise<SearchPage<JobRun, RunCursor>> {
  const where = new Conditions();
  if (filter.provider) where.add('provider = $?', filter.provider);
  if (filter.status) where.add('status = $?', filter.status);
  if (filter.key) where.add('event_id = $?', filter.key);
  if (filter.who) where.add(`${RUN_WHO_TEXT} ilike $?`, containsPattern(filter.who));
  if (filter.text) where.add(`${RUN_ERROR_TEXT} ilike $?`, containsPattern(filter.text));
  if (filter.since) where.add('occurred_at >= $?', filter.since.toISOString());
  if (filter.until) where.add('occurred_at < $?', filter.until.toISOString());
  if (after) {
    // With one provider the tuple drops it, so that it lines up with (provider, occurred_at, subject_id).
    if (filter.provider) where.add('(occurred_at, subject_id) < ($?::timestamptz, $?)', after.at, after.subjectId);
    else where.add('(occurred_at, provider, subject_id) < ($?::timestamptz, $?, $?)', after.at, after.provider, after.subjectId);
  }
  const size = pageSize(limit);
  const { rows } = await db.query<JobRunRow & { cursor_at: string }>(
    `select ${RUN_COLUMNS}, ${CURSOR_AT('occurred_at')}
     from job_runs ${where.sql()}
     order by occurred_at desc, provider desc, subject_id desc
     limit ${size + 1}`,
    where.params,
  );
  const last = rows.length > size ? rows[size - 1] : undefined;
  return {
    items: rows.slice(0, size).map(jobRunOfRow),
    next: last ? { at: last.cursor_at, provider: last.provider, subjectId: last.subject_id } : undefined,
  };
}

/** `$?` placeholders numbered as they are added, so only the conditions given reach the planner. */
class Conditions {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];
  add(condition: string, ...values: unknown[]): void {
    let text = condition;
    for (const value of values) {
      this.params.push(value);
      text = text.replace('$?', `$${this.params.length}`);
    }
    this.parts.push(text);
  }
  sql(): string {
    return this.parts.length === 0 ? '' : `where ${this.parts.join(' and ')}`;
  }
}

/** `%term%` with the term's own `%`, `_` and `\` taken literally. */
export function containsPattern(term: string): string {
  return `%${term.slice(0, MAX_TERM_CHARS).replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function pageSize(limit: number): number {
  return Number.isFinite(limit) ? Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit))) : PAGE_SIZE;
}
