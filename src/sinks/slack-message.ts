import type { AlertItem, AlertNotes, StuckReport } from '../alerts/alert-item.ts';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import {
  classEmoji,
  errorView,
  failingSentence,
  headlineName,
  humanDuration,
  itemLabel,
  itemLink,
  lateSentence,
  recoveredSentence,
  stuckPhrase,
  stuckSentence,
  unstuckSentence,
  utcDate,
  type MessageOptions,
  type Wording,
} from './alert-text.ts';
import { STATUS_EMOJI, countsLabel, refLabel } from './event-text.ts';
import { flat, truncate } from '../shared/text.ts';

export type SlackPlainText = { type: 'plain_text'; text: string; emoji: boolean };
export type SlackMrkdwn = { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: SlackPlainText }
  | { type: 'section'; text?: SlackMrkdwn; fields?: SlackMrkdwn[] }
  | { type: 'context'; elements: SlackMrkdwn[] };
export type SlackMessage = { text: string; blocks: SlackBlock[] };

/**
 * Block Kit limits (docs.slack.dev/reference/block-kit). `text` is ours for one alert: a
 * notification, not a page. Slack also refuses a message whose blocks hold about 12,000 characters
 * in all (msg_blocks_too_long): every message stays within `blocksText`; a digest's `text` within
 * `digestText`.
 */
export const SLACK_LIMITS = {
  text: 3_000,
  header: 150,
  sectionText: 3_000,
  fields: 10,
  field: 2_000,
  contextText: 2_000,
  contextElements: 10,
  blocks: 50,
  blocksText: 11_000,
  digestText: 12_000,
} as const;

/** &, < and > are Slack's control characters: user text must not become mentions or links. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Cuts already escaped text to `max` without leaving half an entity behind. */
export function clipSlack(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  return truncate(escaped, max).replace(/&[a-z]{0,3}…$/, '…');
}

/** Escapes, then cuts to `max` without leaving half an entity behind. */
export function slackText(text: string, max: number): string {
  return clipSlack(escapeSlack(text), max);
}

/** Slack shows the reader's local time; the ISO text is the fallback for clients that cannot. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeSlack(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

/** `<https://…|label>`: the URL's & < > escaped, as Slack asks. */
export function slackLink(url: string, label: string): string {
  return `<${escapeSlack(url)}|${escapeSlack(label)}>`;
}

/** A name inside a sentence: one line, escaped, at most 150 characters. */
const NAME_MAX = 150;
/** Sentences in blocks: names escaped, dates Slack's own. */
export const SLACK_WORDS: Wording = { name: (text) => slackText(flat(text), NAME_MAX), date: slackDate };
/** Sentences in the fallback text: dates as plain words. */
const TEXT_WORDS: Wording = { name: (text) => slackText(flat(text), NAME_MAX), date: (iso) => escapeSlack(utcDate(iso)) };

/*
 * Budgets that keep one message within every limit, the blocks' total included: header 150,
 * section 3,000, error field 2,000, at most 6 other fields of 400, context 1,500 and a link of
 * 1,500 — 10,550 at most.
 */
const FIELD_MAX = 400;
const CONTEXT_MAX = 1_500;
const LINK_MAX = 1_500;
const KEY_MAX = 1_500;

function ref(subject: { id: string; name?: string | undefined }): string {
  return refLabel({ id: truncate(subject.id, 300), name: subject.name === undefined ? undefined : truncate(flat(subject.name), NAME_MAX) });
}

function field(label: string, value: string, max: number = FIELD_MAX, raw = false): SlackMrkdwn {
  const head = `*${label}*\n`;
  return { type: 'mrkdwn', text: head + (raw ? value : slackText(value, Math.min(max, SLACK_LIMITS.field) - head.length)) };
}

function header(text: string): SlackBlock {
  return { type: 'header', text: { type: 'plain_text', text: slackText(flat(text), SLACK_LIMITS.header), emoji: true } };
}

/** Lines of mrkdwn that are already escaped: the last (free-form) one is cut to what remains. */
function section(fixed: string[], free: string | undefined, after: string[] = []): SlackBlock {
  const joined = (lines: string[]) => lines.filter(Boolean).join('\n');
  const room = SLACK_LIMITS.sectionText - joined([...fixed, ...after]).length - 2;
  const text = joined([...fixed, free === undefined ? '' : clipSlack(free, Math.max(room, 0)), ...after]);
  return { type: 'section', text: { type: 'mrkdwn', text: clipSlack(text, SLACK_LIMITS.sectionText) } };
}

function context(first: string, link: string | undefined): SlackBlock {
  const elements: SlackMrkdwn[] = [{ type: 'mrkdwn', text: clipSlack(first, CONTEXT_MAX) }];
  // A link cut short would lead nowhere: one too long for the budget (an absurd key) is left out.
  const linked = link && slackLink(link, 'Open in hookline');
  if (linked && linked.length <= LINK_MAX) elements.push({ type: 'mrkdwn', text: linked });
  return { type: 'context', elements };
}

/** `head: body` cut to the text limit, and then ` · event <key>`, so that the key survives the cut. */
function fallback(head: string, body: string, keyPart: string): string {
  const suffix = clipSlack(keyPart, KEY_MAX);
  return clipSlack(`${head}: ${body}`, SLACK_LIMITS.text - suffix.length) + suffix;
}

/** One alert: an event (with what the incidents say of it) or a stuck run. */
export function buildSlackMessage(item: AlertItem, options: MessageOptions = {}): SlackMessage {
  return item.kind === 'event' ? eventMessage(item, item.event, item.notes, options) : stuckMessage(item, item.report, options);
}

function eventMessage(item: AlertItem, event: NormalizedEvent, notes: AlertNotes | undefined, options: MessageOptions): SlackMessage {
  const label = itemLabel(item);
  const emoji = notes?.recovered ? classEmoji('recovered') : STATUS_EMOJI[event.status];
  const shown = errorView(event);
  const late = lateSentence(event);
  const link = itemLink(item, options);

  const recovered = notes?.recovered && recoveredSentence(notes.recovered, SLACK_WORDS);
  const failing = notes?.failing && failingSentence(notes.failing, SLACK_WORDS);
  const unstuck = notes?.unstuck && unstuckSentence(notes.unstuck, SLACK_WORDS);

  // The fallback: what a notification shows. Recoveries lead with the recovery, failures with why.
  const errorPart = shown.rest ? (shown.restHasMessage ? ` — error: ${escapeSlack(shown.rest)}` : ` — ${escapeSlack(shown.rest)}`) : '';
  const textMarks = {
    recovered: notes?.recovered && recoveredSentence(notes.recovered, TEXT_WORDS),
    failing: notes?.failing && failingSentence(notes.failing, TEXT_WORDS),
    unstuck: notes?.unstuck && unstuckSentence(notes.unstuck, TEXT_WORDS),
  };
  const body = [textMarks.recovered, escapeSlack(flat(shown.summary)) + errorPart, textMarks.failing, textMarks.unstuck]
    .filter(Boolean)
    .join(' · ');
  const text = fallback(`${label} · ${event.provider} · ${escapeSlack(ref(event.subject))}`, body, ` · event ${escapeSlack(event.id)}`);

  const fields: SlackMrkdwn[] = [
    field('Status', `${emoji} ${event.status}${notes?.recovered ? ' · recovered' : ''}`),
    field('Provider', `${event.provider} · ${event.category}`),
    field('Subject', ref(event.subject)),
  ];
  if (event.parent) fields.push(field('Parent', ref(event.parent)));
  const counts = countsLabel(event.counts);
  if (counts) fields.push(field('Counts', counts));
  if (shown.rest) fields.push(field('Error', shown.rest, SLACK_LIMITS.field));
  fields.push(field('When', slackDate(event.occurredAt), FIELD_MAX, true));

  return {
    text,
    blocks: [
      header(`${emoji} ${label} · ${(notes?.recovered ?? notes?.failing)?.series.name || headlineName(item)}`),
      section(
        [recovered ? `*${recovered}*` : '', failing ? `*${failing}*` : '', unstuck ?? ''],
        escapeSlack(shown.summary),
        late ? [`_${late}._`] : [],
      ),
      { type: 'section', fields: fields.slice(0, SLACK_LIMITS.fields) },
      context(`event ${escapeSlack(event.id)} · ${escapeSlack(flat(event.type))} · received ${escapeSlack(event.receivedAt)}`, link),
    ],
  };
}

function stuckMessage(item: AlertItem, report: StuckReport, options: MessageOptions): SlackMessage {
  const emoji = classEmoji('stuck');
  const phrase = stuckPhrase(report, options);
  const link = itemLink(item, options);
  const text = fallback(
    `STUCK · ${report.provider} · ${escapeSlack(ref(report.subject))}`,
    `${phrase} (status ${report.status} since ${escapeSlack(utcDate(report.lastEventAt))})`,
    ` · last event ${escapeSlack(report.lastEventId)}`,
  );

  const fields: SlackMrkdwn[] = [
    field('Status', `${emoji} stuck · ${report.status}`),
    field('Provider', `${report.provider} · ${report.category}`),
    field('Subject', ref(report.subject)),
  ];
  if (report.parent) fields.push(field('Parent', ref(report.parent)));
  fields.push(field('Last event', slackDate(report.lastEventAt), FIELD_MAX, true));
  fields.push(field('Stuck after', humanDuration(report.stuckAfterSeconds)));

  return {
    text,
    blocks: [
      header(`${emoji} STUCK · ${headlineName(item)}`),
      section([`*${phrase[0]!.toUpperCase()}${phrase.slice(1)}.*`, `${stuckSentence(report, SLACK_WORDS)}.`], undefined),
      { type: 'section', fields },
      context(
        `last event ${escapeSlack(report.lastEventId)} · incident ${escapeSlack(report.incidentId)} · detected ${escapeSlack(report.detectedAt)}`,
        link,
      ),
    ],
  };
}
