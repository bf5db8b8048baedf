import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import { STATUS_EMOJI, countsLabel, errorLabel, refLabel, statusLabel, truncate } from './event-text.ts';

export type SlackPlainText = { type: 'plain_text'; text: string; emoji: boolean };
export type SlackMrkdwn = { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: SlackPlainText }
  | { type: 'section'; text?: SlackMrkdwn; fields?: SlackMrkdwn[] }
  | { type: 'context'; elements: SlackMrkdwn[] };
export type SlackMessage = { text: string; blocks: SlackBlock[] };

/** Block Kit limits (docs.slack.dev/reference/block-kit); `text` is ours: a notification, not a page. */
export const SLACK_LIMITS = {
  text: 3_000,
  header: 150,
  sectionText: 3_000,
  fields: 10,
  field: 2_000,
  contextText: 2_000,
} as const;

/** &, < and > are Slack's control characters: user text must not become mentions or links. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Escapes, then cuts to `max` without leaving half an entity behind. */
export function slackText(text: string, max: number): string {
  const escaped = escapeSlack(text);
  if (escaped.length <= max) return escaped;
  return truncate(escaped, max).replace(/&[a-z]{0,3}…$/, '…');
}

/** Slack shows the reader's local time; the ISO text is the fallback for clients that cannot. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeSlack(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

export function buildSlackMessage(event: NormalizedEvent): SlackMessage {
  const emoji = STATUS_EMOJI[event.status];
  const status = statusLabel(event.status);
  const subject = refLabel(event.subject);
  const error = errorLabel(event.error);

  const text = slackText(
    `${status} · ${event.provider} · ${subject}: ${event.summary}${error ? ` — error: ${error}` : ''}`,
    SLACK_LIMITS.text,
  );

  const field = (label: string, value: string, raw = false): SlackMrkdwn => {
    const head = `*${label}*\n`;
    const body = raw ? value : slackText(value, SLACK_LIMITS.field - head.length);
    return { type: 'mrkdwn', text: head + body };
  };
  const fields: SlackMrkdwn[] = [
    field('Status', `${emoji} ${event.status}`),
    field('Provider', `${event.provider} · ${event.category}`),
    field('Subject', subject),
  ];
  if (event.parent) fields.push(field('Parent', refLabel(event.parent)));
  const counts = countsLabel(event.counts);
  if (counts) fields.push(field('Counts', counts));
  if (error) fields.push(field('Error', error));
  fields.push(field('When', slackDate(event.occurredAt), true));

  return {
    text,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: slackText(`${emoji} ${status} · ${event.subject.name ?? event.subject.id}`, SLACK_LIMITS.header), emoji: true },
      },
      { type: 'section', text: { type: 'mrkdwn', text: slackText(event.summary, SLACK_LIMITS.sectionText) } },
      { type: 'section', fields: fields.slice(0, SLACK_LIMITS.fields) },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: slackText(`event ${event.id} · ${event.type} · received ${event.receivedAt}`, SLACK_LIMITS.contextText),
          },
        ],
      },
    ],
  };
}
