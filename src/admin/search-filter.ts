import type { EventCursor, RunCursor, SearchFilter } from '../db/event-search.ts';
import { FilterInputError, providerInput, statusInput, timeInput } from '../replay/filter-input.ts';

/**
 * The query parameters every list page shares (the search form's fields), as typed. They travel
 * through links, the Replay forms and their redirects, so a filtered page stays filtered.
 */
export const FILTER_PARAMS = ['provider', 'status', 'key', 'who', 'text', 'since', 'until'] as const;
export type FilterParam = (typeof FILTER_PARAMS)[number];
export type FilterText = Partial<Record<FilterParam, string>>;

/** Parameters a page keeps across a redirect besides the filters: the chart window and auto-refresh. */
const KEPT_PARAMS = [...FILTER_PARAMS, 'window', 'refresh'] as const;
const MAX_PARAM_CHARS = 200;

export type ParsedFilter = { text: FilterText; filter: SearchFilter };

/** The filters of a query string; a value that makes no sense is a FilterInputError (400). */
export function parseFilter(query: Record<string, string | undefined>): ParsedFilter {
  const text: FilterText = {};
  for (const name of FILTER_PARAMS) {
    const value = query[name]?.trim();
    if (value) text[name] = value.slice(0, MAX_PARAM_CHARS);
  }
  return {
    text,
    filter: {
      provider: providerInput(text.provider),
      status: statusInput(text.status),
      key: text.key,
      who: text.who,
      text: text.text,
      since: timeInput('since', text.since),
      until: timeInput('until', text.until),
    },
  };
}

/** The kept parameters of a query string (another page's, or a form's `filters` field), re-encoded. */
export function keptQuery(source: string | Record<string, string | undefined> | undefined): URLSearchParams {
  const given = typeof source === 'string' ? Object.fromEntries(new URLSearchParams(source.slice(0, 4_096))) : (source ?? {});
  const out = new URLSearchParams();
  for (const name of KEPT_PARAMS) {
    const value = given[name];
    if (typeof value === 'string' && value !== '') out.set(name, value.slice(0, MAX_PARAM_CHARS));
  }
  return out;
}

/** `path?query`, or just `path` when the query is empty. */
export function withQuery(path: string, query: URLSearchParams): string {
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// Cursors are opaque to the browser: base64url JSON, checked field by field when they come back.

export function encodeCursor(cursor: EventCursor | RunCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function eventCursorInput(value: string | undefined): EventCursor | undefined {
  const parsed = cursorFields(value, ['at', 'id']);
  return parsed ? { at: parsed.at!, id: parsed.id! } : undefined;
}

export function runCursorInput(value: string | undefined): RunCursor | undefined {
  const parsed = cursorFields(value, ['at', 'provider', 'subjectId']);
  return parsed ? { at: parsed.at!, provider: parsed.provider!, subjectId: parsed.subjectId! } : undefined;
}

const CURSOR_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

function cursorFields(value: string | undefined, names: readonly string[]): Record<string, string> | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.slice(0, 4_096), 'base64url').toString('utf8'));
  } catch {
    throw new FilterInputError('after: not a page cursor of this page (follow the "Next page" link)');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new FilterInputError('after: not a page cursor of this page');
  const fields = parsed as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const name of names) {
    const field = fields[name];
    if (typeof field !== 'string') throw new FilterInputError('after: not a page cursor of this page');
    out[name] = field;
  }
  if (!CURSOR_AT.test(out.at ?? '')) throw new FilterInputError('after: not a page cursor of this page');
  return out;
}
