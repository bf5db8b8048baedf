import { createHash } from 'node:crypto';
import { alertKey, type AlertItem, type AlertNotes, type StuckReport } from '../alerts/alert-item.ts';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import {
  errorView,
  failingSentence,
  headlineName,
  humanDuration,
  itemLabel,
  itemLink,
  lateSentence,
  recoveredSentence,
  shortMarks,
  stuckPhrase,
  stuckSentence,
  unstuckSentence,
  utcDate,
  type MessageOptions,
  type Wording,
} from './alert-text.ts';
import { countsLabel, refLabel } from './event-text.ts';
import { flat, oneLine, truncate } from '../shared/text.ts';

export type EmailMessage = {
  subject: string;
  text: string;
  html: string;
  /** Deterministic, so that a resent event can be recognised as the same message by receivers. */
  messageId: string;
  headers: Record<string, string>;
};

export const SUBJECT_MAX = 200;
const MESSAGE_ID_DOMAIN = 'hookline';
/** Bounds on what a payload may make a message hold: a name, a free text (summary, error). */
export const EMAIL_NAME_MAX = 300;
export const EMAIL_TEXT_MAX = 10_000;
const HEADER_MAX = 900;

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * `<persona=3Aevt_123@hookline>`: characters outside [A-Za-z0-9_+-] become =XX (UTF-8 bytes), an
 * encoding without collisions, so two different event keys never share a Message-ID. A very long
 * key is hashed instead: header lines have a length limit.
 */
export function messageIdFor(eventId: string): string {
  const encoded = Array.from(new TextEncoder().encode(eventId), (byte) => {
    const char = String.fromCharCode(byte);
    return /[A-Za-z0-9_+-]/.test(char) ? char : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
  const local = encoded.length <= 200 ? encoded : `sha256-${createHash('sha256').update(eventId).digest('hex')}`;
  return `<${local}@${MESSAGE_ID_DOMAIN}>`;
}

/** A user-provided value for a single-line position: no CR/LF (nor other controls), bounded. */
export function line(text: string, max: number = EMAIL_TEXT_MAX): string {
  return truncate(flat(text), max);
}

/** How a header line starts: an RFC 5322 field name (printable ASCII but the colon), then a colon. */
export const HEADER_LIKE = /^[!-9;-~]+:/;

/**
 * User-provided text at the start of a line of the text part (a summary, a series name opening a
 * sentence) is quoted when it would read as a header line there ("Bcc: …"); one line already.
 */
export function notHeaderLike(text: string): string {
  return HEADER_LIKE.test(text) ? `“${text}”` : text;
}

/** Names inside the sentences of an email: one bounded line, never reading as a header. */
export const EMAIL_WORDS: Wording = { name: (text) => notHeaderLike(line(text, EMAIL_NAME_MAX)), date: utcDate };

/** "Customer Data Import (mprtpr_ABC)", one line, bounded. */
function ref(subject: { id: string; name?: string | undefined }, max = EMAIL_NAME_MAX): string {
  return refLabel({ id: line(subject.id, max), name: subject.name === undefined ? undefined : line(subject.name, max) });
}

function subjectParts(item: AlertItem): { provider: string; name: string | undefined; id: string } {
  const { subject, parent, provider } = item.kind === 'event' ? item.event : item.report;
  const notes = item.kind === 'event' ? item.notes : undefined;
  const name = (notes?.recovered ?? notes?.failing)?.series.name || parent?.name || subject.name;
  return { provider, name: name && name !== subject.id ? name : undefined, id: subject.id };
}

/**
 * "[hookline] FAILED · persona · Nightly CRM sync · run mprtpr_ABC · 3rd failure",
 * "[hookline] RECOVERED · …", "[hookline] STUCK · … · no event for 6 h 12 min": one line, ≤ 200.
 */
export function emailSubject(item: AlertItem, options: MessageOptions = {}): string {
  const { provider, name, id } = subjectParts(item);
  const parts = [`[hookline] ${itemLabel(item)}`, provider];
  if (name) parts.push(line(name, 80), `run ${line(id, 60)}`);
  else parts.push(line(id, 80));
  if (item.kind === 'stuck') parts.push(stuckPhrase(item.report, options).replace(/^stuck: /, ''));
  else parts.push(...shortMarks(item).filter((mark) => !mark.startsWith('recovered')));
  return truncate(oneLine(parts.join(' · ')), SUBJECT_MAX);
}

type Rows = Array<[string, string]>;

function eventRows(event: NormalizedEvent, notes: AlertNotes | undefined, rest: string | undefined, link: string | undefined): Rows {
  const list: Array<[string, string | undefined]> = [
    ['Status', notes?.recovered ? `${event.status} (recovered)` : event.status],
    ['Provider', event.provider],
    ['Category', event.category],
    ['Type', line(event.type, EMAIL_NAME_MAX)],
    ['Subject', ref(event.subject)],
    ['Parent', event.parent && ref(event.parent)],
    ['Counts', countsLabel(event.counts)],
    ['Error', rest === undefined ? undefined : line(rest)],
    ['Occurred', utcDate(event.occurredAt)],
    ['Received', utcDate(event.receivedAt)],
    ['Event id', oneLine(event.id)],
    ['Link', link],
  ];
  return list.filter((row): row is [string, string] => row[1] !== undefined);
}

function stuckRows(report: StuckReport, link: string | undefined): Rows {
  const list: Array<[string, string | undefined]> = [
    ['Status', `stuck (${oneLine(report.status)})`],
    ['Provider', oneLine(report.provider)],
    ['Category', oneLine(report.category)],
    ['Subject', ref(report.subject)],
    ['Parent', report.parent && ref(report.parent)],
    ['Last event', utcDate(report.lastEventAt)],
    ['Stuck after', humanDuration(report.stuckAfterSeconds)],
    ['Detected', utcDate(report.detectedAt)],
    ['Last event id', oneLine(report.lastEventId)],
    ['Incident', oneLine(report.incidentId)],
    ['Link', link],
  ];
  return list.filter((row): row is [string, string] => row[1] !== undefined);
}

/** What a single message says, before it becomes text and HTML: every string one line already. */
type Parts = { title: string; sentences: string[]; rows: Rows; link: string | undefined };

function eventParts(item: AlertItem & { kind: 'event' }, options: MessageOptions): Parts {
  const { event, notes } = item;
  const shown = errorView(event);
  const late = lateSentence(event);
  const link = itemLink(item, options);
  const sentences = [
    notes?.recovered && `${recoveredSentence(notes.recovered, EMAIL_WORDS)}.`,
    notHeaderLike(line(shown.summary)),
    notes?.failing && `${failingSentence(notes.failing, EMAIL_WORDS)}.`,
    notes?.unstuck && `${unstuckSentence(notes.unstuck, EMAIL_WORDS)}.`,
    late && `${late}.`,
  ].filter((sentence): sentence is string => Boolean(sentence));
  return {
    title: `${itemLabel(item)} · ${event.provider} · ${line(subjectParts(item).name ?? headlineName(item), EMAIL_NAME_MAX)}`,
    sentences,
    rows: eventRows(event, notes, shown.rest, link),
    link,
  };
}

function stuckParts(item: AlertItem & { kind: 'stuck' }, options: MessageOptions): Parts {
  const { report } = item;
  const phrase = stuckPhrase(report, options);
  const link = itemLink(item, options);
  return {
    title: `STUCK · ${report.provider} · ${line(headlineName(item), EMAIL_NAME_MAX)}`,
    sentences: [`${phrase[0]!.toUpperCase()}${phrase.slice(1)}.`, `${oneLine(stuckSentence(report, EMAIL_WORDS))}.`],
    rows: stuckRows(report, link),
    link,
  };
}

export const HTML_STYLE = {
  body: 'font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:14px;color:#222',
  cell: 'padding:4px 12px 4px 0;vertical-align:top;text-align:left',
} as const;

/** An `<a>` to an event's page, or the text alone. */
export function htmlLink(url: string | undefined, text: string): string {
  return url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}

/** One alert: an event (with what the incidents say of it) or a stuck run. */
export function buildEmailMessage(item: AlertItem, options: MessageOptions = {}): EmailMessage {
  const parts = item.kind === 'event' ? eventParts(item, options) : stuckParts(item, options);
  const width = Math.max(...parts.rows.map(([label]) => label.length)) + 2;
  const text = [
    parts.title,
    '',
    ...parts.sentences,
    '',
    ...parts.rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
    '— hookline',
    '',
  ].join('\n');

  const { cell } = HTML_STYLE;
  const html = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"></head>',
    `<body style="${HTML_STYLE.body}">`,
    `<p style="font-size:16px;margin:0 0 12px"><strong>${escapeHtml(parts.title)}</strong></p>`,
    ...parts.sentences.map((sentence) => `<p style="margin:0 0 8px">${escapeHtml(sentence)}</p>`),
    '<table style="border-collapse:collapse;margin-top:8px">',
    ...parts.rows.map(
      ([label, value]) =>
        `<tr><th style="${cell};color:#666;font-weight:normal;white-space:nowrap">${escapeHtml(label)}</th><td style="${cell};white-space:pre-wrap">${label === 'Link' ? htmlLink(value, value) : escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    parts.link ? `<p style="margin-top:16px">${htmlLink(parts.link, 'Open in hookline')}</p>` : '',
    '<p style="color:#999;font-size:12px;margin-top:16px">hookline</p>',
    '</body></html>',
    '',
  ]
    .filter((htmlLine, index, all) => htmlLine !== '' || index === all.length - 1)
    .join('\n');

  const eventKey = item.kind === 'event' ? item.event.id : item.report.lastEventId;
  const headers: Record<string, string> = {
    'X-Hookline-Event-Id': truncate(oneLine(eventKey), HEADER_MAX),
    'X-Hookline-Provider': item.kind === 'event' ? item.event.provider : item.report.provider,
    'X-Hookline-Status': item.kind === 'event' ? item.event.status : 'stuck',
    // RFC 3834: a notification, so vacation responders and the like stay quiet.
    'Auto-Submitted': 'auto-generated',
  };
  if (item.kind === 'stuck') headers['X-Hookline-Incident-Id'] = truncate(oneLine(item.report.incidentId), HEADER_MAX);

  return { subject: emailSubject(item, options), text, html, messageId: messageIdFor(alertKey(item)), headers };
}
