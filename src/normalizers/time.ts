/*
 * Timestamps are parsed by hand rather than by `new Date(string)`: V8 reads a zone-less
 * "2024-02-21 15:36:16" as local time and silently rolls "2024-02-30" over into March.
 * A timestamp without a zone is UTC (Primer sends them that way).
 */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!match) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** An ISO 8601 date-time (with or without zone) as ISO 8601 UTC with milliseconds; otherwise undefined. */
export function toIsoUtc(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_DATE_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '', zone] = match;
  const offset = zoneOffsetMinutes(zone);
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [
    number, number, number, number, number, number,
  ];
  if (offset === undefined || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)));
  const iso = new Date(date.getTime() - offset * 60_000).toISOString();
  // An offset can push year 9999 into 10000, which ISO strings write as "+010000".
  return /^\d{4}-/.test(iso) ? iso : undefined;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** The first candidate that is a valid timestamp, else `fallback` (the time the ingress received it). */
export function firstTimestamp(candidates: readonly unknown[], fallback: string): string {
  for (const candidate of candidates) {
    const iso = toIsoUtc(candidate);
    if (iso !== undefined) return iso;
  }
  return fallback;
}
