import type { DeadLetter } from '../replay/dead-letters.ts';
import { html, type SafeHtml } from './html.ts';
import type { JobOutcome } from './replay-outcome.ts';

/** What the pages say after a replay (from the redirect's query): the counts, and each watched job's state now. */
export type Flash = { replayed: number; skipped: number; jobs: JobOutcome[] } | undefined;

/** The path of an event's page: the key percent-encoded as one path segment (keys hold `:`, maybe `/`). */
export function eventPath(eventKey: string): string {
  return `/admin/events/${encodeURIComponent(eventKey)}`;
}

/** A run's page: the run is (provider, subject id), each its own path segment. */
export function runPath(provider: string, subjectId: string): string {
  return `/admin/runs/${encodeURIComponent(provider)}/${encodeURIComponent(subjectId)}`;
}

/** A series' page: (provider, series id), the series being the parent when there is one, else the subject. */
export function seriesPath(provider: string, seriesId: string): string {
  return `/admin/series/${encodeURIComponent(provider)}/${encodeURIComponent(seriesId)}`;
}

export const CLIP_CHARS = 80;

/**
 * A value from a payload, cut to `max` characters in lists, whole in its tooltip: one 3,000-character
 * name must not make a table (or the page) thousands of pixels wide or tall. Detail pages show it whole.
 */
export function clip(value: string | null | undefined, max = CLIP_CHARS): SafeHtml {
  if (value === null || value === undefined) return html``;
  if (value.length <= max) return html`${value}`;
  return html`<span class="clipped" title="${value}">${value.slice(0, max)}…</span>`;
}

/** A table that scrolls inside its own box on a narrow screen, so the page itself never does. */
export function tableWrap(table: SafeHtml): SafeHtml {
  return html`<div class="table-wrap">${table}</div>`;
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
  const failedAgain = flash.jobs.filter((job) => job.state === 'failed');
  const pending = flash.jobs.filter((job) => !['completed', 'failed', 'gone'].includes(job.state));
  const tone = failedAgain.length > 0 ? ' flash-failed' : pending.length > 0 ? ' flash-pending' : '';
  const counts = html`Replayed ${flash.replayed} dead letter${flash.replayed === 1 ? '' : 's'}${flash.skipped ? html`; ${flash.skipped} could not be replayed (already replayed or removed)` : ''}.`;
  const summary =
    flash.jobs.length === 0
      ? html` Deliveries run again in the background; reload to follow them.`
      : failedAgain.length > 0
        ? html` <strong>${failedAgain.length === flash.jobs.length ? (flash.jobs.length === 1 ? 'It failed again' : 'All failed again') : `${failedAgain.length} failed again`}</strong>: ${failedAgain.length === 1 ? 'it is' : 'they are'} a dead letter again.`
        : pending.length > 0
          ? html` Queued: ${pending.length === 1 ? 'it has' : `${pending.length} have`} not run yet; reload to follow.`
          : html` Done.`;
  return html`<div class="flash${tone}" role="status" id="replay-outcome"><p>${counts}${summary}</p>${flash.jobs.length > 0
    ? html`<ul>${flash.jobs.map((job) => html`<li data-queue="${job.queue}" data-job="${job.jobId}" data-state="${job.state}">${job.eventKey ? eventLink(job.eventKey, clip(job.eventKey)) : job.jobId}
        (${job.queue === 'ingest' ? 'normalizing' : job.queue.replace(/^deliver-/, '') + ' delivery'}): ${outcomeText(job)}</li>`)}</ul>`
    : ''}</div>`;
}

function outcomeText(job: JobOutcome): SafeHtml {
  switch (job.state) {
    case 'completed':
      return html`${status('completed')}`;
    case 'failed':
      return html`${status('failed')} again after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}: <span class="error">${clip(job.error, 300)}</span>`;
    case 'gone':
      return html`no longer kept`;
    default:
      return html`${status(job.state)} (queued; reload to follow)`;
  }
}

export function logoutButton(csrfToken: string | undefined): SafeHtml {
  return csrfToken === undefined
    ? html``
    : html`<form method="post" action="/admin/logout" class="inline">${csrfField(csrfToken)}<button type="submit">Log out</button></form>`;
}

/**
 * The status page's Replay button; `next` (a page of ours) is where the browser lands afterwards,
 * with `filters` (the page's query: provider, search, window, refresh) kept.
 */
export function replayButton(letter: DeadLetter, csrfToken: string | undefined, next?: string, filters?: URLSearchParams): SafeHtml {
  if (csrfToken === undefined) return html``;
  const what = letter.kind === 'ingest' ? 'normalizing' : `${letter.sink ?? letter.queue} delivery`;
  const kept = filters?.toString() ?? '';
  return html`<form method="post" action="/admin/replay" class="inline">${csrfField(csrfToken)}
    <input type="hidden" name="queue" value="${letter.queue}"><input type="hidden" name="job" value="${letter.jobId}">
    ${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}
    ${kept === '' ? '' : html`<input type="hidden" name="filters" value="${kept}">`}
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
