import type { JobRun, StoredEvent } from '../db/queries.ts';
import type { DeadLetter } from '../replay/dead-letters.ts';
import { PROVIDER_IDS } from '../providers/registry.ts';
import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import type { ChartData, ChartWindow } from './chart-data.ts';
import { pageHeader, refreshControl } from './page-header.ts';
import { clip, csrfField, eventLink, flashLine, replayButton, runPath, status, tableWrap, time, type Flash } from './page-parts.ts';
import { seriesCell } from './search-page.ts';
import { withQuery } from './search-filter.ts';
import { latencyChart, stackedBarChart } from './svg-chart.ts';
import type { QueueCounts, StatusData } from './status-data.ts';

/** How the overview is viewed: the chart window and auto-refresh, kept in its links and forms. */
export type OverviewView = { window: ChartWindow; refreshSeconds: number | undefined; query: URLSearchParams };

const FAILING = new Set(['failed', 'partial']);
const RAW_PREVIEW_CHARS = 2_000;

export function statusPage(data: StatusData, charts: ChartData | undefined, view: OverviewView, csrfToken: string | undefined, flash: Flash): SafeHtml {
  const lettersByEvent = new Map<string, DeadLetter[]>();
  for (const letter of data.deadLetters) lettersByEvent.set(letter.eventKey, [...(lettersByEvent.get(letter.eventKey) ?? []), letter]);
  return layout(
    'hookline status',
    html`
      ${pageHeader('hookline status', csrfToken, 'overview')}
      ${flashLine(flash)}
      ${providerFilter(data.provider, view)}
      ${refreshControl('/admin', view.query, view.refreshSeconds)}
      ${data.problems.map((problem) => html`<p class="problem" role="alert">Could not read ${problem}</p>`)}
      ${chartSection(charts, data.provider, view)}
      ${deadLetterSection(data.deadLetters, csrfToken, data.provider, view.query)}
      ${runSection(data.runs, lettersByEvent, csrfToken, view.query)}
      ${eventSection(data.events)}
      ${queueSection(data.queues)}
    `,
    { refreshSeconds: view.refreshSeconds, refreshUrl: withQuery('/admin', view.query) },
  );
}

function providerFilter(current: string | undefined, view: OverviewView): SafeHtml {
  const link = (label: string, provider: string | undefined, active: boolean) => {
    const query = new URLSearchParams(view.query);
    if (provider === undefined) query.delete('provider');
    else query.set('provider', provider);
    return html`<a href="${withQuery('/admin', query)}"${active ? html` aria-current="page"` : ''}>${label}</a>`;
  };
  return html`<nav class="filter">Provider: ${link('all', undefined, current === undefined)}
    ${PROVIDER_IDS.map((provider) => link(provider, provider, current === provider))}
    · <a href="${withQuery('/admin/events', current ? new URLSearchParams({ provider: current }) : new URLSearchParams())}">search events</a></nav>`;
}

function chartSection(charts: ChartData | undefined, provider: string | undefined, view: OverviewView): SafeHtml {
  const windowLink = (window: ChartWindow, label: string) => {
    const query = new URLSearchParams(view.query);
    query.set('window', window);
    return window === view.window ? html`<strong>${label}</strong>` : html`<a href="${withQuery('/admin', query)}#charts">${label}</a>`;
  };
  return html`
    <section id="charts">
      <h2>Activity ${provider ? html`<span class="count">${provider}</span>` : ''}</h2>
      <p class="hint">Window: ${windowLink('24h', 'last 24 hours')} · ${windowLink('7d', 'last 7 days')}. Hover a bar for its counts (UTC hours).</p>
      ${charts === undefined
        ? html`<p class="empty">No charts.</p>`
        : html`${charts.problems.map((problem) => html`<p class="problem" role="alert">Could not read ${problem}</p>`)}
          ${stackedBarChart(charts.byStatus)}
          ${stackedBarChart(charts.byProvider)}
          ${latencyChart('chart-latency', 'Delivery latency per destination (received → delivered)', charts.latency)}
          ${stackedBarChart(charts.deadLetters)}`}
    </section>`;
}

function deadLetterSection(letters: readonly DeadLetter[], csrfToken: string | undefined, provider: string | undefined, query: URLSearchParams): SafeHtml {
  const replayAll =
    letters.length > 1 && csrfToken !== undefined
      ? html`<form method="post" action="/admin/replay" class="inline">${csrfField(csrfToken)}
          ${provider ? html`<input type="hidden" name="provider" value="${provider}">` : ''}
          <input type="hidden" name="filters" value="${query.toString()}">
          <input type="hidden" name="all" value="1"><button type="submit">Replay all ${letters.length}</button></form>`
      : '';
  return html`
    <section id="dead-letters">
      <h2>Dead letters <span class="count">${letters.length}</span> ${replayAll}</h2>
      <p class="hint">Deliveries that failed for good, and events that could not be normalized. Replaying an event already delivered does not post it twice.</p>
      ${letters.length === 0
        ? html`<p class="empty">No dead letters.</p>`
        : tableWrap(html`<table>
            <thead><tr><th>failed at</th><th>where</th><th>event key</th><th>provider</th><th>error</th><th>attempts</th><th></th></tr></thead>
            <tbody>${letters.map((letter) => html`
              <tr data-queue="${letter.queue}" data-event-key="${letter.eventKey}">
                <td>${time(letter.failedAt)}</td>
                <td>${letter.kind === 'ingest' ? 'not normalized' : `${letter.sink ?? letter.queue} delivery`}</td>
                <td class="key">${letter.kind === 'delivery' && letter.eventKey ? eventLink(letter.eventKey, clip(letter.eventKey)) : clip(letter.eventKey)}</td>
                <td>${letter.provider ?? '?'}</td>
                <td class="error">${clip(letter.error, 300)}${letter.rawBody === undefined ? '' : html`<details><summary>raw body</summary><pre>${preview(letter.rawBody)}</pre></details>`}</td>
                <td>${letter.attemptsMade}</td>
                <td>${replayButton(letter, csrfToken, undefined, query)}</td>
              </tr>`)}
            </tbody></table>`)}
    </section>`;
}

function runSection(runs: readonly JobRun[], lettersByEvent: ReadonlyMap<string, DeadLetter[]>, csrfToken: string | undefined, query: URLSearchParams): SafeHtml {
  const byProvider = PROVIDER_IDS.map((provider) => [provider, runs.filter((run) => run.provider === provider)] as const).filter(
    ([, list]) => list.length > 0,
  );
  return html`
    <section id="runs">
      <h2>Job runs <span class="count">${runs.length}</span></h2>
      <p class="hint">The latest status of every run, by provider, failures first. <a href="/admin/runs">Search all runs</a>.</p>
      ${byProvider.length === 0 ? html`<p class="empty">No runs yet.</p>` : ''}
      ${byProvider.map(
        ([provider, list]) => html`
          <h3 id="runs-${provider}">${provider} <span class="count">${list.length}</span>
            ${failingCount(list) ? html`<span class="status status-failed">${failingCount(list)} failing</span>` : ''}</h3>
          ${tableWrap(html`<table class="runs" data-provider="${provider}">
            <thead><tr><th>status</th><th>run</th><th>series</th><th>type</th><th>occurred at</th><th>error</th><th>summary</th><th>dead letters</th></tr></thead>
            <tbody>${list.map((run) => html`
              <tr data-status="${run.status}" data-event-key="${run.eventId}">
                <td>${status(run.status)}</td>
                <td><a href="${runPath(run.provider, run.subjectId)}">${run.subjectName ? html`${clip(run.subjectName)}<br>` : ''}<span class="key">${clip(run.subjectId)}</span></a></td>
                <td>${seriesCell(run.provider, run.parentId, run.parentName, run.subjectId)}</td>
                <td>${clip(run.type)}</td>
                <td>${time(run.occurredAt)}</td>
                <td class="error">${run.errorCode ? html`<code>${clip(run.errorCode)}</code> ` : ''}${clip(run.errorMessage, 200)}</td>
                <td>${eventLink(run.eventId, clip(run.summary, 160))}</td>
                <td>${(lettersByEvent.get(run.eventId) ?? []).map((letter) => replayButton(letter, csrfToken, undefined, query))}</td>
              </tr>`)}
            </tbody></table>`)}`,
      )}
    </section>`;
}

function eventSection(events: readonly StoredEvent[]): SafeHtml {
  return html`
    <section id="events">
      <h2>Recent events <span class="count">${events.length}</span></h2>
      ${events.length === 0
        ? html`<p class="empty">No events yet.</p>`
        : tableWrap(html`<table>
            <thead><tr><th>received at</th><th>provider</th><th>type</th><th>status</th><th>subject</th><th>summary</th><th>event key</th></tr></thead>
            <tbody>${events.map((event) => html`
              <tr data-event-key="${event.id}">
                <td>${time(event.receivedAt)}</td>
                <td>${event.provider}</td>
                <td>${clip(event.type)}</td>
                <td>${status(event.status)}</td>
                <td><a href="${runPath(event.provider, event.subjectId)}">${clip(event.subjectName ?? event.subjectId)}</a></td>
                <td>${clip(event.summary, 160)}</td>
                <td class="key">${eventLink(event.id, clip(event.id))}</td>
              </tr>`)}
            </tbody></table>`)}
      <p><a href="/admin/events">All events: search and pages</a></p>
    </section>`;
}

function queueSection(queues: readonly QueueCounts[]): SafeHtml {
  return html`
    <section id="queues">
      <h2>Queues</h2>
      <div class="table-wrap"><table class="narrow">
        <thead><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th><th>completed</th></tr></thead>
        <tbody>${queues.map((q) => html`
          <tr data-queue="${q.queue}"><td>${q.queue}</td><td>${q.waiting}</td><td>${q.active}</td><td>${q.delayed}</td>
            <td class="${q.failed > 0 ? 'bad' : ''}">${q.failed}</td><td>${q.completed}</td></tr>`)}
        </tbody>
      </table></div>
    </section>`;
}

function failingCount(runs: readonly JobRun[]): number {
  return runs.filter((run) => FAILING.has(run.status)).length;
}

function preview(body: string): string {
  return body.length > RAW_PREVIEW_CHARS ? `${body.slice(0, RAW_PREVIEW_CHARS)}… (${body.length} characters)` : body;
}
