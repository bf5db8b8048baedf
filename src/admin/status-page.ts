import type { JobRun, StoredEvent } from '../db/queries.ts';
import type { DeadLetter } from '../replay/dead-letters.ts';
import { PROVIDER_IDS } from '../providers/registry.ts';
import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { csrfField, eventLink, flashLine, logoutButton, replayButton, status, time, type Flash } from './page-parts.ts';
import type { QueueCounts, StatusData } from './status-data.ts';

const FAILING = new Set(['failed', 'partial']);
const RAW_PREVIEW_CHARS = 2_000;

export function statusPage(data: StatusData, csrfToken: string | undefined, flash: Flash): SafeHtml {
  const lettersByEvent = new Map<string, DeadLetter[]>();
  for (const letter of data.deadLetters) lettersByEvent.set(letter.eventKey, [...(lettersByEvent.get(letter.eventKey) ?? []), letter]);
  return layout(
    'hookline status',
    html`
      <header>
        <h1>hookline status</h1>
        <nav>
          <a href="/admin/queues/">Queues (Bull Board)</a>
          ${logoutButton(csrfToken)}
        </nav>
      </header>
      ${providerFilter(data.provider)}
      ${flashLine(flash)}
      ${data.problems.map((problem) => html`<p class="problem" role="alert">Could not read ${problem}</p>`)}
      ${deadLetterSection(data.deadLetters, csrfToken, data.provider)}
      ${runSection(data.runs, lettersByEvent, csrfToken)}
      ${eventSection(data.events)}
      ${queueSection(data.queues)}
    `,
  );
}

function providerFilter(current: string | undefined): SafeHtml {
  const link = (label: string, href: string, active: boolean) =>
    html`<a href="${href}"${active ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="filter">Provider: ${link('all', '/admin', current === undefined)}
    ${PROVIDER_IDS.map((provider) => link(provider, `/admin?provider=${encodeURIComponent(provider)}`, current === provider))}</nav>`;
}

function deadLetterSection(letters: readonly DeadLetter[], csrfToken: string | undefined, provider: string | undefined): SafeHtml {
  const replayAll =
    letters.length > 1 && csrfToken !== undefined
      ? html`<form method="post" action="/admin/replay" class="inline">${csrfField(csrfToken)}
          ${provider ? html`<input type="hidden" name="provider" value="${provider}">` : ''}
          <input type="hidden" name="all" value="1"><button type="submit">Replay all ${letters.length}</button></form>`
      : '';
  return html`
    <section id="dead-letters">
      <h2>Dead letters <span class="count">${letters.length}</span> ${replayAll}</h2>
      <p class="hint">Deliveries that failed for good, and events that could not be normalized. Replaying an event already delivered does not post it twice.</p>
      ${letters.length === 0
        ? html`<p class="empty">No dead letters.</p>`
        : html`<table>
            <thead><tr><th>failed at</th><th>where</th><th>event key</th><th>provider</th><th>error</th><th>attempts</th><th></th></tr></thead>
            <tbody>${letters.map((letter) => html`
              <tr data-queue="${letter.queue}" data-event-key="${letter.eventKey}">
                <td>${time(letter.failedAt)}</td>
                <td>${letter.kind === 'ingest' ? 'not normalized' : `${letter.sink ?? letter.queue} delivery`}</td>
                <td class="key">${letter.kind === 'delivery' && letter.eventKey ? eventLink(letter.eventKey) : letter.eventKey}</td>
                <td>${letter.provider ?? '?'}</td>
                <td class="error">${letter.error}${letter.rawBody === undefined ? '' : html`<details><summary>raw body</summary><pre>${preview(letter.rawBody)}</pre></details>`}</td>
                <td>${letter.attemptsMade}</td>
                <td>${replayButton(letter, csrfToken)}</td>
              </tr>`)}
            </tbody></table>`}
    </section>`;
}

function runSection(runs: readonly JobRun[], lettersByEvent: ReadonlyMap<string, DeadLetter[]>, csrfToken: string | undefined): SafeHtml {
  const byProvider = PROVIDER_IDS.map((provider) => [provider, runs.filter((run) => run.provider === provider)] as const).filter(
    ([, list]) => list.length > 0,
  );
  return html`
    <section id="runs">
      <h2>Job runs <span class="count">${runs.length}</span></h2>
      <p class="hint">The latest status of every run, by provider, failures first.</p>
      ${byProvider.length === 0 ? html`<p class="empty">No runs yet.</p>` : ''}
      ${byProvider.map(
        ([provider, list]) => html`
          <h3 id="runs-${provider}">${provider} <span class="count">${list.length}</span>
            ${failingCount(list) ? html`<span class="status status-failed">${failingCount(list)} failing</span>` : ''}</h3>
          <table class="runs" data-provider="${provider}">
            <thead><tr><th>status</th><th>run</th><th>parent</th><th>type</th><th>occurred at</th><th>error</th><th>summary</th><th>dead letters</th></tr></thead>
            <tbody>${list.map((run) => html`
              <tr data-status="${run.status}" data-event-key="${run.eventId}">
                <td>${status(run.status)}</td>
                <td>${run.subjectName ? html`${run.subjectName}<br>` : ''}<span class="key">${run.subjectId}</span></td>
                <td>${run.parentName ?? run.parentId ?? ''}</td>
                <td>${run.type}</td>
                <td>${time(run.occurredAt)}</td>
                <td class="error">${run.errorCode ? html`<code>${run.errorCode}</code> ` : ''}${run.errorMessage ?? ''}</td>
                <td>${eventLink(run.eventId, run.summary)}</td>
                <td>${(lettersByEvent.get(run.eventId) ?? []).map((letter) => replayButton(letter, csrfToken))}</td>
              </tr>`)}
            </tbody></table>`,
      )}
    </section>`;
}

function eventSection(events: readonly StoredEvent[]): SafeHtml {
  return html`
    <section id="events">
      <h2>Recent events <span class="count">${events.length}</span></h2>
      ${events.length === 0
        ? html`<p class="empty">No events yet.</p>`
        : html`<table>
            <thead><tr><th>received at</th><th>provider</th><th>type</th><th>status</th><th>subject</th><th>summary</th><th>event key</th></tr></thead>
            <tbody>${events.map((event) => html`
              <tr data-event-key="${event.id}">
                <td>${time(event.receivedAt)}</td>
                <td>${event.provider}</td>
                <td>${event.type}</td>
                <td>${status(event.status)}</td>
                <td>${event.subjectName ?? event.subjectId}</td>
                <td>${event.summary}</td>
                <td class="key">${eventLink(event.id)}</td>
              </tr>`)}
            </tbody></table>`}
    </section>`;
}

function queueSection(queues: readonly QueueCounts[]): SafeHtml {
  return html`
    <section id="queues">
      <h2>Queues</h2>
      <table class="narrow">
        <thead><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th><th>completed</th></tr></thead>
        <tbody>${queues.map((q) => html`
          <tr data-queue="${q.queue}"><td>${q.queue}</td><td>${q.waiting}</td><td>${q.active}</td><td>${q.delayed}</td>
            <td class="${q.failed > 0 ? 'bad' : ''}">${q.failed}</td><td>${q.completed}</td></tr>`)}
        </tbody>
      </table>
    </section>`;
}

function failingCount(runs: readonly JobRun[]): number {
  return runs.filter((run) => FAILING.has(run.status)).length;
}

function preview(body: string): string {
  return body.length > RAW_PREVIEW_CHARS ? `${body.slice(0, RAW_PREVIEW_CHARS)}… (${body.length} characters)` : body;
}
