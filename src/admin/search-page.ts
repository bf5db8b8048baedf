import type { JobRun, StoredEvent } from '../db/queries.ts';
import { EVENT_STATUSES } from '../normalizers/normalized-event.ts';
import { PROVIDER_IDS } from '../providers/registry.ts';
import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { pageHeader, refreshControl } from './page-header.ts';
import { clip, eventLink, flashLine, runPath, seriesPath, status, tableWrap, time, type Flash } from './page-parts.ts';
import { withQuery, type FilterText } from './search-filter.ts';

export type SearchPageData = {
  kind: 'events' | 'runs';
  text: FilterText;
  /** The page's own query (filters, refresh), without the cursor: what links and forms carry on. */
  query: URLSearchParams;
  /** The URL of the next page, when there is one. */
  nextUrl: string | undefined;
  /** Whether this is a later page (a cursor was given). */
  paged: boolean;
  events: StoredEvent[];
  runs: JobRun[];
  refreshSeconds: number | undefined;
  problem: string | undefined;
};

const PATHS = { events: '/admin/events', runs: '/admin/runs' } as const;

/** `/admin/events` and `/admin/runs`: the search form, one keyset page of results, the next page's link. */
export function searchPage(data: SearchPageData, csrfToken: string | undefined, flash: Flash): SafeHtml {
  const path = PATHS[data.kind];
  const title = data.kind === 'events' ? 'Events' : 'Runs';
  const count = data.kind === 'events' ? data.events.length : data.runs.length;
  return layout(
    `hookline ${title.toLowerCase()}`,
    html`
      ${pageHeader(`hookline ${title.toLowerCase()}`, csrfToken, data.kind)}
      ${flashLine(flash)}
      ${data.problem ? html`<p class="problem" role="alert">Could not search: ${data.problem}</p>` : ''}
      ${searchForm(path, data.text, data.kind, data.refreshSeconds)}
      ${refreshControl(path, data.query, data.refreshSeconds)}
      <section id="results">
        <h2>${title} <span class="count" id="result-count">${count}${data.nextUrl ? '+' : ''}${data.paged ? ' on this page' : ''}</span></h2>
        <p class="hint">${data.kind === 'events' ? 'Newest received first.' : 'Each run’s latest status, newest first.'} ${data.paged ? html`<a href="${withQuery(path, data.query)}">First page</a>` : ''}</p>
        ${count === 0 ? html`<p class="empty">Nothing matches.</p>` : data.kind === 'events' ? eventTable(data.events) : runTable(data.runs)}
        <nav class="pager">${data.nextUrl ? html`<a href="${data.nextUrl}" rel="next" id="next-page">Next page →</a>` : html`<span class="hint">Last page.</span>`}</nav>
      </section>`,
    { refreshSeconds: data.refreshSeconds, refreshUrl: withQuery(path, data.query) },
  );
}

function searchForm(path: string, text: FilterText, kind: 'events' | 'runs', refresh: number | undefined): SafeHtml {
  const input = (name: keyof FilterText, label: string, placeholder: string) =>
    html`<label>${label}<input type="text" name="${name}" value="${text[name] ?? ''}" placeholder="${placeholder}"></label>`;
  const select = (name: 'provider' | 'status', label: string, options: readonly string[]) =>
    html`<label>${label}<select name="${name}"><option value="">any</option>${options.map(
      (option) => html`<option value="${option}"${text[name] === option ? html` selected` : ''}>${option}</option>`,
    )}</select></label>`;
  return html`
    <form method="get" action="${path}" class="search" role="search">
      ${input('key', 'event key', 'persona:evt_…')}
      ${input('who', kind === 'events' ? 'subject or parent (id or name)' : 'run or series (id or name)', 'id or part of a name')}
      ${input('text', 'error or summary text', 'e.g. timed out')}
      ${select('provider', 'provider', PROVIDER_IDS)}
      ${select('status', 'status', EVENT_STATUSES)}
      ${input('since', kind === 'events' ? 'received since' : 'since', '2h, 3d or 2026-03-07T09:00Z')}
      ${input('until', 'until', 'ISO time or age')}
      ${refresh === undefined ? '' : html`<input type="hidden" name="refresh" value="${refresh}">`}
      <button type="submit">Search</button> <a href="${path}">Clear</a>
    </form>`;
}

function eventTable(events: readonly StoredEvent[]): SafeHtml {
  return tableWrap(html`<table class="results events">
    <thead><tr><th>received at</th><th>provider</th><th>status</th><th>run</th><th>series</th><th>summary</th><th>event key</th></tr></thead>
    <tbody>${events.map((event) => html`
      <tr data-event-key="${event.id}" data-status="${event.status}">
        <td>${time(event.receivedAt)}</td>
        <td>${event.provider}</td>
        <td>${status(event.status)}</td>
        <td><a href="${runPath(event.provider, event.subjectId)}">${clip(event.subjectName ?? event.subjectId)}</a>${event.subjectName ? html`<br><span class="key">${clip(event.subjectId)}</span>` : ''}</td>
        <td>${seriesCell(event.provider, event.parentId, event.parentName, event.subjectId)}</td>
        <td>${clip(event.summary, 160)}</td>
        <td class="key">${eventLink(event.id, clip(event.id))}</td>
      </tr>`)}
    </tbody></table>`);
}

function runTable(runs: readonly JobRun[]): SafeHtml {
  return tableWrap(html`<table class="results runs">
    <thead><tr><th>latest at</th><th>provider</th><th>status</th><th>run</th><th>series</th><th>type</th><th>error</th><th>latest event</th></tr></thead>
    <tbody>${runs.map((run) => html`
      <tr data-run="${run.provider}/${run.subjectId}" data-status="${run.status}" data-event-key="${run.eventId}">
        <td>${time(run.occurredAt)}</td>
        <td>${run.provider}</td>
        <td>${status(run.status)}</td>
        <td><a href="${runPath(run.provider, run.subjectId)}">${clip(run.subjectName ?? run.subjectId)}</a>${run.subjectName ? html`<br><span class="key">${clip(run.subjectId)}</span>` : ''}</td>
        <td>${seriesCell(run.provider, run.parentId, run.parentName, run.subjectId)}</td>
        <td>${clip(run.type)}</td>
        <td class="error">${run.errorCode ? html`<code>${clip(run.errorCode)}</code> ` : ''}${clip(run.errorMessage, 160)}</td>
        <td class="key">${eventLink(run.eventId, clip(run.summary, 120))}</td>
      </tr>`)}
    </tbody></table>`);
}

/** The series is the parent when there is one, else the run itself (src/db/incidents.ts seriesOf). */
export function seriesCell(provider: string, parentId: string | null, parentName: string | null, subjectId: string): SafeHtml {
  if (parentId === null) return html`<a href="${seriesPath(provider, subjectId)}" class="hint">its own</a>`;
  return html`<a href="${seriesPath(provider, parentId)}">${clip(parentName ?? parentId)}</a>`;
}
