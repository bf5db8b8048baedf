import { createHash } from 'node:crypto';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import { countsLabel, errorLabel, oneLine, refLabel, statusLabel, truncate } from './event-text.ts';

export type EmailMessage = {
  subject: string;
  text: string;
  html: string;
  /** Deterministic, so that a resent event can be recognised as the same message by receivers. */
  messageId: string;
  headers: Record<string, string>;
};

const SUBJECT_MAX = 200;
const MESSAGE_ID_DOMAIN = 'hookline';

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

/** "[hookline] FAILED · persona · Customer Data Import (mprtpr_ABC)". */
export function emailSubject(event: NormalizedEvent): string {
  const name = event.subject.name ? truncate(oneLine(event.subject.name), 80) : undefined;
  const subject = refLabel({ id: truncate(oneLine(event.subject.id), 80), name });
  return truncate(`[hookline] ${statusLabel(event.status)} · ${event.provider} · ${subject}`, SUBJECT_MAX);
}

function rows(event: NormalizedEvent): Array<[string, string]> {
  const list: Array<[string, string | undefined]> = [
    ['Status', event.status],
    ['Provider', event.provider],
    ['Category', event.category],
    ['Type', event.type],
    ['Subject', refLabel(event.subject)],
    ['Parent', event.parent && refLabel(event.parent)],
    ['Counts', countsLabel(event.counts)],
    ['Error', errorLabel(event.error)],
    ['Occurred', event.occurredAt],
    ['Received', event.receivedAt],
    ['Event id', event.id],
  ];
  return list.filter((row): row is [string, string] => row[1] !== undefined);
}

export function buildEmailMessage(event: NormalizedEvent): EmailMessage {
  const fields = rows(event);
  const width = Math.max(...fields.map(([label]) => label.length)) + 2;
  const text = [
    `${statusLabel(event.status)} · ${event.provider}`,
    '',
    event.summary,
    '',
    ...fields.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
    '— hookline',
    '',
  ].join('\n');

  const cell = 'padding:4px 12px 4px 0;vertical-align:top;text-align:left';
  const html = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:14px;color:#222">',
    `<p style="font-size:16px;margin:0 0 12px"><strong>${escapeHtml(statusLabel(event.status))}</strong> · ${escapeHtml(event.provider)}</p>`,
    `<p style="margin:0 0 16px">${escapeHtml(event.summary)}</p>`,
    '<table style="border-collapse:collapse">',
    ...fields.map(
      ([label, value]) =>
        `<tr><th style="${cell};color:#666;font-weight:normal;white-space:nowrap">${escapeHtml(label)}</th><td style="${cell};white-space:pre-wrap">${escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    '<p style="color:#999;font-size:12px;margin-top:16px">hookline</p>',
    '</body></html>',
    '',
  ].join('\n');

  return {
    subject: emailSubject(event),
    text,
    html,
    messageId: messageIdFor(event.id),
    headers: {
      'X-Hookline-Event-Id': oneLine(event.id),
      'X-Hookline-Provider': event.provider,
      'X-Hookline-Status': event.status,
      // RFC 3834: a notification, so vacation responders and the like stay quiet.
      'Auto-Submitted': 'auto-generated',
    },
  };
}
