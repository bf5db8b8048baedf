import type { DeadLetter } from '../replay/dead-letters.ts';
import { html, type SafeHtml } from './html.ts';

/** What the pages say after a replay (from the redirect's query). */
export type Flash = { replayed: number; skipped: number } | undefined;

/** The path of an event's page: the key percent-encoded as one path segment (keys hold `:`, maybe `/`). */
export function eventPath(eventKey: string): string {
  return `/admin/events/${encodeURIComponent(eventKey)}`;
}

/** A link to an event's page; the text defaults to the key. */
export function eventLink(eventKey: string, text?: string | SafeHtml): SafeHtml {
  return html`<a href="${eventPath(eventKey)}">${text ?? eventKey}</a>`;
}

/**
 * Where a form may send the browser back to: a path on the status page, nothing else. No query,
 * fragment, backslash, `//` or dot segment, so it can only ever name a page of ours, on our origin.
 */
export function safeAdminPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 4_096) return undefined;
  if (!/^\/admin\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/.test(value)) return undefined;
  // %2e is a dot to a browser's URL parser: `/admin/%2e%2e/` would leave /admin. Our own links never hold it.
  if (value.includes('//') || /\/\.\.?(?:\/|$)/.test(value) || /%2e/i.test(value)) return undefined;
  return value;
}

export function flashLine(flash: Flash): SafeHtml {
  if (!flash) return html``;
  return html`<p class="flash" role="status">Replayed ${flash.replayed} dead letter${flash.replayed === 1 ? '' : 's'}${flash.skipped ? html`; ${flash.skipped} could not be replayed (already replayed or removed)` : ''}. Deliveries run again in the background; reload to follow them.</p>`;
}

export function logoutButton(csrfToken: string | undefined): SafeHtml {
  return csrfToken === undefined
    ? html``
    : html`<form method="post" action="/admin/logout" class="inline">${csrfField(csrfToken)}<button type="submit">Log out</button></form>`;
}

/** The status page's Replay button; `next` (a page of ours) is where the browser lands afterwards. */
export function replayButton(letter: DeadLetter, csrfToken: string | undefined, next?: string): SafeHtml {
  if (csrfToken === undefined) return html``;
  const what = letter.kind === 'ingest' ? 'normalizing' : `${letter.sink ?? letter.queue} delivery`;
  return html`<form method="post" action="/admin/replay" class="inline">${csrfField(csrfToken)}
    <input type="hidden" name="queue" value="${letter.queue}"><input type="hidden" name="job" value="${letter.jobId}">
    ${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}
    <button type="submit" aria-label="Replay ${what} of ${letter.eventKey}">Replay ${letter.kind === 'ingest' ? 'event' : letter.sink ?? ''}</button></form>`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function status(value: string): SafeHtml {
  return html`<span class="status status-${/^[a-z]+$/.test(value) ? value : 'unknown'}">${value}</span>`;
}

export function time(iso: string): SafeHtml {
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}
