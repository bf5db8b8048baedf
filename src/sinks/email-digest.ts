import type { AlertItem } from '../alerts/alert-item.ts';
import {
  classLabel,
  countAlerts,
  digestHash,
  digestTally,
  groupAlerts,
  headlineName,
  itemLink,
  providersOf,
  shortDetail,
  shortMarks,
  type MessageOptions,
} from './alert-text.ts';
import { EMAIL_NAME_MAX, HTML_STYLE, SUBJECT_MAX, escapeHtml, htmlLink, line, type EmailMessage } from './email-message.ts';
import { oneLine, truncate } from '../shared/text.ts';

/** SPEC 6: a digest email reports up to 50 alerts (the caller keeps to it). */
export const EMAIL_DIGEST_MAX = 50;
/** A digest line's error, in a few words. */
const DETAIL_MAX = 500;

type Row = { name: string | undefined; run: string; detail: string; marks: string[]; keyLabel: string; key: string; link: string | undefined };

function rowOf(item: AlertItem, options: MessageOptions): Row {
  const subject = item.kind === 'event' ? item.event.subject : item.report.subject;
  const name = headlineName(item);
  return {
    name: name === subject.id ? undefined : line(name, EMAIL_NAME_MAX),
    run: oneLine(subject.id),
    detail: line(shortDetail(item, options), DETAIL_MAX),
    marks: shortMarks(item),
    keyLabel: item.kind === 'event' ? 'event' : 'last event',
    key: oneLine(item.kind === 'event' ? item.event.id : item.report.lastEventId),
    link: itemLink(item, options),
  };
}

/** "[hookline] 50 alerts: 45 FAILED, 5 PARTIAL (persona, reachfive)". */
export function emailDigestSubject(items: readonly AlertItem[]): string {
  const counts = countAlerts(items).map(([cls, n]) => `${n} ${classLabel(cls)}`);
  const subject = `[hookline] ${items.length} alert${items.length === 1 ? '' : 's'}: ${counts.join(', ')} (${providersOf(items).join(', ')})`;
  return truncate(oneLine(subject), SUBJECT_MAX);
}

/**
 * One email for many alerts: grouped by status and provider, failures first; every alert with its
 * subject id and event key (and its link with PUBLIC_URL). Every user-provided value is one line.
 */
export function buildEmailDigest(items: readonly AlertItem[], options: MessageOptions = {}): EmailMessage {
  const groups = groupAlerts(items).map((group) => ({
    title: `${classLabel(group.cls)} · ${group.provider} (${group.items.length})`,
    rows: group.items.map((item) => rowOf(item, options)),
  }));
  const tally = `hookline: ${digestTally(items)}`;

  const text: string[] = [tally, ''];
  for (const group of groups) {
    text.push(group.title, '');
    group.rows.forEach((row, index) => {
      const head = [row.name, `run ${row.run}`, row.detail].filter(Boolean).join(' · ');
      text.push(`  ${index + 1}. ${head}${row.marks.length > 0 ? ` (${row.marks.join(', ')})` : ''}`);
      text.push(`     ${row.keyLabel} ${row.key}`);
      if (row.link) text.push(`     ${row.link}`);
    });
    text.push('');
  }
  text.push('— hookline: more alerts waited than this address’s pace allows, so they come as one digest.', '');

  const { cell } = HTML_STYLE;
  const th = (label: string) => `<th style="${cell};color:#666;font-weight:normal;border-bottom:1px solid #ddd">${label}</th>`;
  const td = (content: string, style = '') => `<td style="${cell}${style}">${content}</td>`;
  const html: string[] = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"></head>',
    `<body style="${HTML_STYLE.body}">`,
    `<p style="font-size:16px;margin:0 0 12px"><strong>${escapeHtml(tally)}</strong></p>`,
  ];
  for (const group of groups) {
    html.push(
      `<h3 style="font-size:15px;margin:20px 0 6px">${escapeHtml(group.title)}</h3>`,
      '<table style="border-collapse:collapse">',
      `<tr>${th('What')}${th('Run')}${th('Error / detail')}${th('Event')}</tr>`,
      ...group.rows.map(
        (row) =>
          `<tr>${td(`${escapeHtml(row.name ?? '')}${row.marks.length > 0 ? `<br><em>${escapeHtml(row.marks.join(', '))}</em>` : ''}`)}${td(
            `<code>${escapeHtml(row.run)}</code>`,
          )}${td(escapeHtml(row.detail))}${td(`${row.keyLabel === 'event' ? '' : 'last event '}<code>${htmlLink(row.link, row.key)}</code>`, ';white-space:nowrap')}</tr>`,
      ),
      '</table>',
    );
  }
  html.push(
    '<p style="color:#999;font-size:12px;margin-top:16px">hookline: more alerts waited than this address’s pace allows, so they come as one digest.</p>',
    '</body></html>',
    '',
  );

  return {
    subject: emailDigestSubject(items),
    text: text.join('\n'),
    html: html.join('\n'),
    messageId: `<digest-${digestHash(items)}@hookline>`,
    headers: {
      'X-Hookline-Digest': String(items.length),
      'Auto-Submitted': 'auto-generated',
    },
  };
}
