import { createHash } from 'node:crypto';
import { alertKey, type AlertItem } from '../alerts/alert-item.ts';
import type { EventStatus, NormalizedEvent } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';
import { STATUS_EMOJI, statusLabel } from './event-text.ts';
import { flat } from '../shared/text.ts';

/**
 * The words every Slack and email message uses for an alert — a single event, an event that
 * recovers a series or ends a stuck run, a stuck run — so that both sinks and both shapes (one
 * alert, a digest) say the same thing the same way. Pure: no I/O, the clock comes from `now`.
 */

export type MessageOptions = {
  /** PUBLIC_URL: when set, every message links to each event's page on the status page. */
  publicUrl?: string | undefined;
  /** ms since the epoch, for "no event for 6 h 12 min"; default Date.now(). */
  now?: number;
};

/** An event received this much later than it occurred says so. */
export const LATE_AFTER_MS = 10 * 60_000;

/** `https://hookline.example.com/admin/events/persona%3Aevt_1`. */
export function eventLink(publicUrl: string, eventKey: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/admin/events/${encodeURIComponent(eventKey)}`;
}

/** The event an alert is about: the event itself, or a stuck run's latest event. */
export function itemEventKey(item: AlertItem): string {
  return item.kind === 'event' ? item.event.id : item.report.lastEventId;
}

/** The link of an alert's event page, or undefined without PUBLIC_URL. */
export function itemLink(item: AlertItem, options: MessageOptions = {}): string | undefined {
  return options.publicUrl ? eventLink(options.publicUrl, itemEventKey(item)) : undefined;
}

/** "42 s", "12 min", "6 h 12 min", "3 d 4 h": whole units, rounded down. */
export function humanDuration(seconds: number): string {
  const s = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 102nd. */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  switch (n % 10) {
    case 1:
      return `${n}st`;
    case 2:
      return `${n}nd`;
    case 3:
      return `${n}rd`;
    default:
      return `${n}th`;
  }
}

/** "2024-01-16 02:14 UTC"; what cannot be parsed is shown flattened, as sent. */
export function utcDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return flat(iso);
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * How a message renders what it did not write itself: `name` a user-provided name (escaped,
 * shortened), `date` an ISO timestamp. Slack uses escaping and <!date>, email text plain words.
 */
export type Wording = { name(text: string): string; date(iso: string): string };

export const PLAIN: Wording = { name: (text) => flat(text), date: utcDate };

/** The series' name, else its id. */
export function seriesName(series: { id: string; name?: string | undefined }): string {
  return series.name || series.id;
}

/** "3rd failed run of Nightly CRM sync since 2024-01-16 02:14 UTC", "First failure of Nightly CRM sync". */
export function failingSentence(failing: NonNullable<AlertNotesOf['failing']>, words: Wording = PLAIN): string {
  const series = words.name(seriesName(failing.series));
  if (failing.failureNumber <= 1) return `First failure of ${series}`;
  return `${ordinal(failing.failureNumber)} failed run of ${series} since ${words.date(failing.since)}`;
}

/** "Nightly CRM sync recovered after 2 failed runs since 2024-01-16 02:14 UTC". */
export function recoveredSentence(recovered: NonNullable<AlertNotesOf['recovered']>, words: Wording = PLAIN): string {
  return `${words.name(seriesName(recovered.series))} recovered after ${plural(recovered.runsFailed, 'failed run')} since ${words.date(recovered.since)}`;
}

/** "Finished after being stuck for 7 h 3 min (its previous event: 2024-01-16 02:14 UTC)". */
export function unstuckSentence(unstuck: NonNullable<AlertNotesOf['unstuck']>, words: Wording = PLAIN): string {
  return `Finished after being stuck for ${humanDuration(unstuck.stuckForSeconds)} (its previous event: ${words.date(unstuck.lastActivityAt)})`;
}

/** "Occurred 3 h 5 min before hookline received it", for an event received more than 10 min late. */
export function lateSentence(event: NormalizedEvent): string | undefined {
  const lateMs = Date.parse(event.receivedAt) - Date.parse(event.occurredAt);
  if (!(lateMs > LATE_AFTER_MS)) return undefined;
  return `Occurred ${humanDuration(lateMs / 1000)} before hookline received it`;
}

type AlertNotesOf = NonNullable<Extract<AlertItem, { kind: 'event' }>['notes']>;
type StuckItem = Extract<AlertItem, { kind: 'stuck' }>;

/** Seconds since a stuck run's last event, as of `now` (never before the check found it). */
export function stuckSeconds(report: StuckItem['report'], options: MessageOptions = {}): number {
  const now = Math.max(options.now ?? Date.now(), Date.parse(report.detectedAt) || 0);
  return (now - Date.parse(report.lastEventAt)) / 1000;
}

/** "stuck: no event for 6 h 12 min". */
export function stuckPhrase(report: StuckItem['report'], options: MessageOptions = {}): string {
  return `stuck: no event for ${humanDuration(stuckSeconds(report, options))}`;
}

/** "Last event at 2024-01-16 02:14 UTC (status running); a run is reported stuck after 6 h without an event". */
export function stuckSentence(report: StuckItem['report'], words: Wording = PLAIN): string {
  return `Last event at ${words.date(report.lastEventAt)} (status ${report.status}); a run is reported stuck after ${humanDuration(report.stuckAfterSeconds)} without an event`;
}

/** The short mark of a digest line: "3rd failure", "recovered after 2 failed runs", "was stuck for 7 h". */
export function shortMarks(item: AlertItem): string[] {
  if (item.kind === 'stuck') return [];
  const notes = item.notes;
  const marks: string[] = [];
  if (notes?.failing) marks.push(notes.failing.failureNumber <= 1 ? 'first failure' : `${ordinal(notes.failing.failureNumber)} failure`);
  if (notes?.recovered) marks.push(`recovered after ${plural(notes.recovered.runsFailed, 'failed run')}`);
  if (notes?.unstuck) marks.push(`was stuck for ${humanDuration(notes.unstuck.stuckForSeconds)}`);
  return marks;
}

/** What a message names first: the workflow / pipeline / definition, else the subject's name, else its id. */
export function headlineName(item: AlertItem): string {
  const { subject, parent } = item.kind === 'event' ? item.event : item.report;
  return parent?.name || subject.name || subject.id;
}

/* ----------------------------------------------------------------------------------------------
 * The error, said once. Normalizers put the error message into the summary ("Persona import 'X'
 * failed: 150 of 150 rows errored"), cut to 280 characters, and many providers' fallback messages
 * ("workflow run failed") only repeat what the summary says. A message shows the summary, and of
 * the error only what the summary lacks.
 * -------------------------------------------------------------------------------------------- */

export type ErrorView = {
  /** The summary to show: the event's, or its head when the error it quoted had been cut short. */
  summary: string;
  /** What is left to say of the error: code and step when the summary holds the message, else all of it. */
  rest?: string | undefined;
  /** Whether `rest` holds the message itself (not only code and step). */
  restHasMessage: boolean;
};

/** "[E_ROWS] step validate", the part of an error a summary never holds. */
export function errorPrefix(error: NonNullable<NormalizedEvent['error']>): string | undefined {
  const prefix = [error.code ? `[${flat(error.code)}]` : undefined, error.step ? `step ${flat(error.step)}` : undefined]
    .filter(Boolean)
    .join(' ');
  return prefix || undefined;
}

const FILLER_WORDS = new Set(['job', 'run', 'the', 'a', 'an', 'has', 'was']);
const words = (text: string): string[] => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** A provider's fallback like "export job failed" next to "ReachFive export 'Consents' failed" says nothing new. */
function saysNothingNew(message: string, summary: string): boolean {
  const own = words(message);
  if (own.length === 0) return true;
  if (own.length > 5) return false;
  const said = new Set(words(summary));
  return own.every((word) => said.has(word) || FILLER_WORDS.has(word));
}

export function errorView(event: NormalizedEvent): ErrorView {
  const { summary, error } = event;
  if (!error) return { summary, restHasMessage: false };
  const prefix = errorPrefix(error);
  const message = flat(error.message);
  if (summary.endsWith(message) || saysNothingNew(message, summary)) {
    return { summary, rest: prefix, restHasMessage: false };
  }
  // The summary quoted the message but cut it: show its head, and the whole message as the error.
  for (let at = summary.indexOf(': '); at >= 0; at = summary.indexOf(': ', at + 1)) {
    const detail = summary.slice(at + 2);
    const quoted = detail.slice(0, -1).trimEnd();
    if (detail.endsWith('…') && quoted.length > 0 && message.startsWith(quoted)) {
      return { summary: summary.slice(0, at), rest: prefix ? `${prefix}: ${message}` : message, restHasMessage: true };
    }
  }
  return { summary, rest: prefix ? `${prefix}: ${message}` : message, restHasMessage: true };
}

/** The error in a few words, for a digest line: the message, else the summary. */
export function shortDetail(item: AlertItem, options: MessageOptions = {}): string {
  if (item.kind === 'stuck') return `${stuckPhrase(item.report, options)} (status ${item.report.status})`;
  const { event } = item;
  if (event.error && event.error.message.trim()) {
    const prefix = event.error.code ? `[${flat(event.error.code)}] ` : '';
    return prefix + flat(event.error.message);
  }
  return flat(event.summary);
}

/* ----------------------------------------------------------------------------------------------
 * Digest grouping: failures first.
 * -------------------------------------------------------------------------------------------- */

/** What a digest counts and groups by: a stuck run, a recovery, or the event's status. */
export type AlertClass = 'stuck' | 'recovered' | EventStatus;

/** Failures first (stuck and failed), then partial, then recoveries, then the rest. */
export const ALERT_CLASS_ORDER: readonly AlertClass[] = [
  'failed',
  'stuck',
  'partial',
  'recovered',
  'canceled',
  'succeeded',
  'paused',
  'running',
  'resumed',
  'started',
];

/** How a header counts them: "14 failed, 4 partial, 1 stuck, 1 recovered". */
const COUNT_ORDER: readonly AlertClass[] = ['failed', 'partial', 'stuck', 'recovered', 'canceled', 'succeeded', 'paused', 'running', 'resumed', 'started'];

export function alertClass(item: AlertItem): AlertClass {
  if (item.kind === 'stuck') return 'stuck';
  return item.notes?.recovered ? 'recovered' : item.event.status;
}

/** The rank groups are ordered by: stuck and failed 0, partial 1, recovered 2, the rest 3. */
export function classRank(cls: AlertClass): number {
  if (cls === 'failed' || cls === 'stuck') return 0;
  if (cls === 'partial') return 1;
  if (cls === 'recovered') return 2;
  return 3;
}

export function classLabel(cls: AlertClass): string {
  return cls === 'stuck' || cls === 'recovered' ? cls.toUpperCase() : statusLabel(cls);
}

export function classEmoji(cls: AlertClass): string {
  if (cls === 'stuck') return ':hourglass:';
  if (cls === 'recovered') return ':white_check_mark:';
  return STATUS_EMOJI[cls];
}

export type AlertGroup = { cls: AlertClass; provider: ProviderId; items: AlertItem[] };

function providerOf(item: AlertItem): ProviderId {
  return item.kind === 'event' ? item.event.provider : item.report.provider;
}

/** One group per (class, provider), failures first, then by provider; items keep their order. */
export function groupAlerts(items: readonly AlertItem[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const item of items) {
    const cls = alertClass(item);
    const provider = providerOf(item);
    const id = `${cls}\u0000${provider}`;
    const group = groups.get(id) ?? { cls, provider, items: [] };
    group.items.push(item);
    groups.set(id, group);
  }
  return [...groups.values()].sort(
    (a, b) =>
      classRank(a.cls) - classRank(b.cls) ||
      ALERT_CLASS_ORDER.indexOf(a.cls) - ALERT_CLASS_ORDER.indexOf(b.cls) ||
      (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0),
  );
}

/** [['failed', 14], ['partial', 4], ['stuck', 1], ['recovered', 1]]: the classes present, counted. */
export function countAlerts(items: readonly AlertItem[]): Array<[AlertClass, number]> {
  const counts = new Map<AlertClass, number>();
  for (const item of items) counts.set(alertClass(item), (counts.get(alertClass(item)) ?? 0) + 1);
  return COUNT_ORDER.filter((cls) => counts.has(cls)).map((cls) => [cls, counts.get(cls)!]);
}

/** The providers of the items, sorted, each once. */
export function providersOf(items: readonly AlertItem[]): ProviderId[] {
  return [...new Set(items.map(providerOf))].sort();
}

/** "20 alerts — 14 failed, 4 partial, 1 stuck, 1 recovered". */
export function digestTally(items: readonly AlertItem[]): string {
  const counts = countAlerts(items).map(([cls, n]) => `${n} ${cls}`);
  return `${plural(items.length, 'alert')} — ${counts.join(', ')}`;
}

/** The label a single message leads with: RECOVERED, STUCK, or the status. */
export function itemLabel(item: AlertItem): string {
  return classLabel(alertClass(item));
}

/** A stable identity for a set of alerts, whatever their order. */
export function digestHash(items: readonly AlertItem[]): string {
  const keys = items.map(alertKey).sort();
  return createHash('sha256').update(JSON.stringify(keys)).digest('hex');
}
