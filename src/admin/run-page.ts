import type { TimelineEvent } from '../db/run-history.ts';
import { humanDuration } from '../sinks/alert-text.ts';
import { html, type SafeHtml } from './html.ts';
import { incidentTable } from './incident-table.ts';
import { layout } from './layout.ts';
import { pageHeader } from './page-header.ts';
import { clip, eventLink, runPath, seriesPath, status, tableWrap, time } from './page-parts.ts';
import type { RunPageData, SeriesPageData } from './run-data.ts';
import { TIMELINE_LIMIT } from '../db/run-history.ts';

const TERMINAL = new Set(['succeeded', 'failed', 'partial', 'canceled']);

/** `/admin/runs/<provider>/<subject>`: the run's timeline, its latest status, its series and incidents. */
export function runPage(data: RunPageData, csrfToken: string | undefined): SafeHtml {
  const first = data.timeline[0];
  const last = data.timeline[data.timeline.length - 1];
  const name = data.run?.subjectName ?? last?.subjectName ?? null;
  const latestStatus = data.run?.status ?? last?.status;
  const span = first && last ? (Date.parse(last.occurredAt) - Date.parse(first.occurredAt)) / 1000 : 0;
  return layout(
    `hookline run: ${name ?? data.subjectId}`,
    html`
      ${pageHeader('hookline run', csrfToken, 'runs')}
      ${data.problems.map((problem) => html`<p class="problem" role="alert">Could not read ${problem}</p>`)}
      <section id="run">
        <h2 id="run-name">${name ?? data.subjectId}</h2>
        <table class="fields"><tbody>
          <tr><th>run</th><td class="key" id="run-id">${data.subjectId}</td></tr>
          <tr><th>provider</th><td>${data.provider}</td></tr>
          <tr><th>status</th><td id="run-status">${latestStatus ? status(latestStatus) : ''}${data.run ? html` at ${time(data.run.occurredAt)}` : ''}</td></tr>
          <tr><th>path</th><td id="run-path">${data.timeline.map((event) => event.status).join(' → ')}</td></tr>
          <tr><th>${latestStatus && TERMINAL.has(latestStatus) ? 'took' : 'running for'}</th><td id="run-duration">${humanDuration(span)}${first ? html` <span class="hint">(first event ${time(first.occurredAt)})</span>` : ''}</td></tr>
          <tr><th>series</th><td><a href="${seriesPath(data.provider, data.seriesId)}" id="series-link">${data.seriesName ?? data.seriesId}</a> <span class="key">${data.seriesId}</span></td></tr>
          ${data.run?.errorMessage || data.run?.errorCode ? html`<tr><th>error</th><td class="error">${data.run.errorCode ? html`<code>${data.run.errorCode}</code> ` : ''}${data.run.errorMessage ?? ''}</td></tr>` : ''}
        </tbody></table>
      </section>
      <section id="timeline">
        <h2>Timeline <span class="count">${data.timeline.length}${data.truncated ? '+' : ''} event${data.timeline.length === 1 ? '' : 's'}</span></h2>
        ${data.truncated ? html`<p class="hint">The latest ${TIMELINE_LIMIT} events are shown.</p>` : ''}
        <ol class="timeline">${data.timeline.map((event, i) => timelineItem(event, data.timeline[i - 1]))}</ol>
      </section>
      <section id="incidents">
        <h2>Incidents <span class="count">${data.incidents.length}</span></h2>
        <p class="hint">The series’ failing incidents, and this run’s stuck ones.</p>
        ${incidentTable(data.incidents)}
      </section>`,
  );
}

function timelineItem(event: TimelineEvent, previous: TimelineEvent | undefined): SafeHtml {
  const gap = previous ? (Date.parse(event.occurredAt) - Date.parse(previous.occurredAt)) / 1000 : undefined;
  return html`<li data-status="${event.status}" data-event-key="${event.id}">
    ${status(event.status)} ${time(event.occurredAt)} ${gap === undefined ? '' : html`<span class="gap">+${humanDuration(gap)}</span>`}
    <div>${clip(event.summary, 300)}</div>
    ${event.errorMessage || event.errorCode ? html`<div class="error">${event.errorCode ? html`<code>${clip(event.errorCode)}</code> ` : ''}${clip(event.errorMessage, 300)}</div>` : ''}
    <div class="key">${eventLink(event.id, clip(event.id))} <span class="hint">${clip(event.type)}</span></div>
  </li>`;
}

/** `/admin/series/<provider>/<series>`: the series' latest runs with outcome and duration, its incidents. */
export function seriesPage(data: SeriesPageData, csrfToken: string | undefined): SafeHtml {
  const outcomes = new Map<string, number>();
  for (const run of data.runs) outcomes.set(run.status, (outcomes.get(run.status) ?? 0) + 1);
  return layout(
    `hookline series: ${data.seriesName ?? data.seriesId}`,
    html`
      ${pageHeader('hookline series', csrfToken, 'runs')}
      <section id="series">
        <h2 id="series-name">${data.seriesName ?? data.seriesId}</h2>
        <table class="fields"><tbody>
          <tr><th>series</th><td class="key">${data.seriesId}</td></tr>
          <tr><th>provider</th><td>${data.provider}</td></tr>
          <tr><th>latest runs</th><td id="series-outcomes">${[...outcomes].map(([outcome, n], i) => html`${i > 0 ? ' · ' : ''}${n} ${outcome}`)}</td></tr>
        </tbody></table>
      </section>
      <section id="series-runs">
        <h2>Recent runs <span class="count">${data.runs.length}</span></h2>
        ${data.runs.length === 0 ? html`<p class="empty">No runs stored.</p>` : tableWrap(html`<table class="runs">
          <thead><tr><th>outcome</th><th>run</th><th>started</th><th>latest event</th><th>duration</th><th>events</th><th>error</th></tr></thead>
          <tbody>${data.runs.map((run) => html`
            <tr data-run="${run.subjectId}" data-status="${run.status}">
              <td>${status(run.status)}</td>
              <td><a href="${runPath(run.provider, run.subjectId)}">${clip(run.subjectName ?? run.subjectId)}</a>${run.subjectName ? html`<br><span class="key">${clip(run.subjectId)}</span>` : ''}</td>
              <td>${time(run.firstAt)}</td>
              <td>${time(run.occurredAt)}</td>
              <td data-seconds="${Math.round((Date.parse(run.occurredAt) - Date.parse(run.firstAt)) / 1000)}">${humanDuration((Date.parse(run.occurredAt) - Date.parse(run.firstAt)) / 1000)}${TERMINAL.has(run.status) ? '' : ' so far'}</td>
              <td>${run.events}</td>
              <td class="error">${run.errorCode ? html`<code>${clip(run.errorCode)}</code> ` : ''}${clip(run.errorMessage, 160)}</td>
            </tr>`)}
          </tbody></table>`)}
      </section>
      <section id="incidents">
        <h2>Incidents <span class="count">${data.incidents.length}</span></h2>
        ${incidentTable(data.incidents)}
      </section>`,
  );
}


