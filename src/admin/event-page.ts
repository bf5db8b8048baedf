import type { AlertNotes } from '../alerts/alert-item.ts';
import type { Incident } from '../db/incidents.ts';
import type { StoredEvent } from '../db/queries.ts';
import type { DeadLetter } from '../replay/dead-letters.ts';
import { failingSentence, humanDuration, LATE_AFTER_MS, recoveredSentence, unstuckSentence, utcDate, type Wording } from '../sinks/alert-text.ts';
import type { DeliveryView, EventPageData, IngestView } from './event-data.ts';
import { RUN_EVENTS_LIMIT } from './event-data.ts';
import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { pageHeader as sharedHeader } from './page-header.ts';
import { eventLink, eventPath, flashLine, replayButton, runPath, seriesPath, status, time, type Flash } from './page-parts.ts';

/** The alerts' sentences, with names in full: the page escapes them, and has room. */
const WORDS: Wording = { name: (text) => text, date: utcDate };

/** `/admin/events/<key>`: one event, its run, its series' incidents, its deliveries and its body. */
export function eventPage(data: EventPageData, csrfToken: string | undefined, flash: Flash): SafeHtml {
  const { event } = data;
  return layout(
    `hookline event: ${event.summary}`,
    html`
      ${pageHeader(csrfToken)}
      <p class="key" id="event-key">${event.id}</p>
      ${flashLine(flash)}
      ${data.problems.map((problem) => html`<p class="problem" role="alert">Could not read ${problem}</p>`)}
      ${eventSection(data)}
      ${alertSection(event.alert)}
      ${runSection(data)}
      ${incidentSection(data.incidents, data.seriesId, event.id)}
      ${deliverySection(data, csrfToken)}
      ${rawSection(data)}
    `,
  );
}

export function eventNotFoundPage(key: string, csrfToken: string | undefined): SafeHtml {
  return layout(
    'hookline event: not found',
    html`
      ${pageHeader(csrfToken)}
      <p class="problem" role="alert">No event has the key <span class="key">${key}</span>.</p>
      <p class="hint">An event is listed here once it has been normalized and stored. One that could not be
        normalized is a dead letter on the <a href="/admin#dead-letters">status page</a>.</p>`,
  );
}

/** The database could not be asked: whether the event exists is unknown. */
export function eventUnreadablePage(key: string, problem: string, csrfToken: string | undefined): SafeHtml {
  return layout(
    'hookline event: unavailable',
    html`
      ${pageHeader(csrfToken)}
      <p class="key">${key}</p>
      <p class="problem" role="alert">Could not read the event (database): ${problem}</p>`,
  );
}

function pageHeader(csrfToken: string | undefined): SafeHtml {
  return sharedHeader('hookline event', csrfToken, 'events');
}

function eventSection({ event }: EventPageData): SafeHtml {
  const body = event.event;
  const lateMs = Date.parse(event.receivedAt) - Date.parse(event.occurredAt);
  return html`
    <section id="event">
      <h2>Event</h2>
      <table class="fields">
        <tbody>
          <tr><th>status</th><td>${status(event.status)}</td></tr>
          <tr><th>summary</th><td id="event-summary">${event.summary}</td></tr>
          <tr><th>provider</th><td>${event.provider}</td></tr>
          <tr><th>type</th><td>${event.type}</td></tr>
          <tr><th>category</th><td>${event.category}</td></tr>
          <tr><th>subject</th><td>${named(event.subjectName, event.subjectId)} <a href="${runPath(event.provider, event.subjectId)}" id="run-link">run timeline</a></td></tr>
          <tr><th>parent</th><td>${event.parentId === null ? html`<span class="empty">none</span>` : named(event.parentName, event.parentId)}
            <a href="${seriesPath(event.provider, event.parentId ?? event.subjectId)}" id="series-link">series: recent runs and incidents</a></td></tr>
          <tr><th>counts</th><td>${counts(body.counts)}</td></tr>
          <tr><th>error</th><td class="error">${errorOf(body.error)}</td></tr>
          <tr><th>occurred at</th><td>${time(event.occurredAt)}</td></tr>
          <tr><th>received at</th><td>${time(event.receivedAt)}${lateMs > LATE_AFTER_MS ? html` <span class="hint">(${humanDuration(lateMs / 1000)} after it occurred)</span>` : ''}</td></tr>
          <tr><th>stored at</th><td>${time(event.storedAt)}</td></tr>
        </tbody>
      </table>
    </section>`;
}

function named(name: string | null, id: string): SafeHtml {
  return name ? html`${name}<br><span class="key">${id}</span>` : html`<span class="key">${id}</span>`;
}

const COUNT_NAMES = ['total', 'succeeded', 'failed', 'created', 'updated'] as const;

function counts(value: unknown): SafeHtml {
  const given = isRecord(value) ? COUNT_NAMES.filter((name) => typeof value[name] === 'number').map((name) => [name, value[name] as number] as const) : [];
  if (given.length === 0) return html`<span class="empty">none</span>`;
  return html`${given.map(([name, n], i) => html`${i > 0 ? ' · ' : ''}${name} ${n}`)}`;
}

function errorOf(value: unknown): SafeHtml {
  if (!isRecord(value)) return html`<span class="empty">none</span>`;
  const code = text(value.code);
  const message = text(value.message);
  const step = text(value.step);
  return html`${code ? html`<code>${code}</code> ` : ''}${message ?? ''}${step ? html` <span class="hint">(step: ${step})</span>` : ''}`;
}

/** What the incident bookkeeping noted when the event was stored (the alerts say the same). */
function alertSection(notes: AlertNotes | null): SafeHtml {
  const lines: SafeHtml[] = [];
  const failing = notes?.failing;
  if (failing && typeof failing.failureNumber === 'number' && isRecord(failing.series) && typeof failing.since === 'string') {
    lines.push(html`<li data-note="failing">${failingSentence(failing, WORDS)} <span class="hint">(incident ${failing.incidentId})</span></li>`);
  }
  const recovered = notes?.recovered;
  if (recovered && typeof recovered.runsFailed === 'number' && isRecord(recovered.series) && typeof recovered.since === 'string') {
    lines.push(html`<li data-note="recovered">${recoveredSentence(recovered, WORDS)} <span class="hint">(incident ${recovered.incidentId})</span></li>`);
  }
  const unstuck = notes?.unstuck;
  if (unstuck && typeof unstuck.stuckForSeconds === 'number' && typeof unstuck.lastActivityAt === 'string') {
    lines.push(html`<li data-note="unstuck">${unstuckSentence(unstuck, WORDS)} <span class="hint">(incident ${unstuck.incidentId})</span></li>`);
  }
  if (lines.length === 0) return html``;
  return html`
    <section id="alert">
      <h2>Alert notes</h2>
      <ul>${lines}</ul>
    </section>`;
}

function runSection(data: EventPageData): SafeHtml {
  const { run, runEvents, event } = data;
  return html`
    <section id="run">
      <h2>Run <span class="count">${runEvents.length}${data.runEventsTruncated ? '+' : ''} event${runEvents.length === 1 ? '' : 's'}</span>
        <a href="${runPath(event.provider, event.subjectId)}" class="count">timeline →</a></h2>
      ${run
        ? html`<p>Latest status ${status(run.status)} at ${time(run.occurredAt)}, from
            ${run.eventId === event.id ? html`this event` : html`event ${eventLink(run.eventId)}`}.
            ${run.errorCode || run.errorMessage ? html`<span class="error">${run.errorCode ? html`<code>${run.errorCode}</code> ` : ''}${run.errorMessage ?? ''}</span>` : ''}</p>`
        : html`<p class="empty">No job_runs row for this run.</p>`}
      ${data.runEventsTruncated ? html`<p class="hint">The latest ${RUN_EVENTS_LIMIT} of its events are listed.</p>` : ''}
      <div class="table-wrap"><table class="run-events">
        <thead><tr><th>occurred at</th><th>status</th><th>type</th><th>summary</th><th>event key</th></tr></thead>
        <tbody>${runEvents.map((other) => runEventRow(other, event.id))}</tbody>
      </table></div>
    </section>`;
}

function runEventRow(other: StoredEvent, current: string): SafeHtml {
  const self = other.id === current;
  return html`
    <tr data-event-key="${other.id}"${self ? html` aria-current="true"` : ''}>
      <td>${time(other.occurredAt)}</td>
      <td>${status(other.status)}</td>
      <td>${other.type}</td>
      <td>${other.summary}</td>
      <td class="key">${self ? html`<a href="${eventPath(other.id)}" aria-current="page">${other.id}</a> (this event)` : eventLink(other.id)}</td>
    </tr>`;
}

function incidentSection(incidents: readonly Incident[], seriesId: string, current: string): SafeHtml {
  return html`
    <section id="incidents">
      <h2>Incidents of the series <span class="count">${incidents.length}</span></h2>
      <p class="hint">Series <span class="key">${seriesId}</span>: the parent when the event has one, else the subject.</p>
      ${incidents.length === 0
        ? html`<p class="empty">No incidents for this series.</p>`
        : html`<table>
            <thead><tr><th>incident</th><th>kind</th><th>state</th><th>opened at</th><th>resolved at</th><th>failed runs</th><th>events</th></tr></thead>
            <tbody>${incidents.map((incident) => html`
              <tr data-incident="${incident.id}">
                <td>${incident.id}</td>
                <td>${incident.kind}${incident.kind === 'stuck' && incident.subjectId ? html`<br><span class="key">${incident.subjectId}</span>` : ''}</td>
                <td>${incident.resolvedAt === null ? html`<span class="status status-failed">open</span>` : html`<span class="status">resolved</span>`}</td>
                <td>${time(incident.openedAt)}</td>
                <td>${incident.resolvedAt === null ? '' : time(incident.resolvedAt)}</td>
                <td>${incident.kind === 'failing' ? incident.runsFailed : ''}</td>
                <td class="key">${incidentEvents(incident, current)}</td>
              </tr>`)}
            </tbody></table>`}
    </section>`;
}

function incidentEvents(incident: Incident, current: string): SafeHtml {
  const roles: Array<[string, string | null]> = [
    ['first', incident.firstEventId],
    ['last', incident.lastEventId],
    ['resolved by', incident.resolvedByEventId],
  ];
  return html`${roles
    .filter((role): role is [string, string] => role[1] !== null)
    .map(([role, id]) => html`<div>${role}: ${id === current ? html`this event` : eventLink(id)}</div>`)}`;
}

function deliverySection(data: EventPageData, csrfToken: string | undefined): SafeHtml {
  const shown = (data.deliveries ?? []).filter((d) => d.state !== 'none' || d.delivered || d.destination === 'database');
  const absent = (data.deliveries ?? []).filter((d) => !shown.includes(d)).map((d) => d.destination);
  return html`
    <section id="deliveries">
      <h2>Deliveries</h2>
      ${ingestLine(data.ingest)}
      ${data.deliveries === undefined
        ? html`<p class="hint">The ingest job is no longer kept (past the deduplication window) and no dead letter names it, so
            the delivery jobs cannot be looked up; dead letters are found by event key below.</p>`
        : html`<table class="deliveries">
            <thead><tr><th>destination</th><th>job</th><th>state</th><th>attempts</th><th>finished at</th><th>delivery record</th><th>error</th></tr></thead>
            <tbody>${shown.map((delivery) => deliveryRow(delivery, data))}</tbody>
          </table>
          ${absent.length > 0 ? html`<p class="hint">No job for: ${absent.join(', ')} (not routed there, or removed since).</p>` : ''}`}
      ${deadLetterTable(data.deadLetters, data.event.id, csrfToken)}
    </section>`;
}

function ingestLine(ingest: IngestView | undefined): SafeHtml {
  if (!ingest) return html``;
  return html`<p>Ingest job <span class="key">${ingest.jobId}</span>: ${status(ingest.state)}, ${ingest.attemptsMade}
    attempt${ingest.attemptsMade === 1 ? '' : 's'}${ingest.finishedAt ? html`, finished ${time(ingest.finishedAt)}` : ''}${ingest.routedTo
      ? html`; went to ${ingest.routedTo.length === 0 ? 'no destination' : ingest.routedTo.join(', ')}${ingest.writtenInPlace ? ' (the database written in place)' : ''}`
      : ''}.</p>`;
}

function deliveryRow(delivery: DeliveryView, data: EventPageData): SafeHtml {
  const stateCell =
    delivery.state === 'none' && delivery.destination === 'database'
      ? html`${status('stored')} <span class="hint">${data.ingest?.writtenInPlace ? 'written in place' : 'no job kept'}</span>`
      : status(delivery.state === 'none' ? 'no job' : delivery.state);
  return html`
    <tr data-destination="${delivery.destination}" data-state="${delivery.state}">
      <td>${delivery.destination}</td>
      <td class="key">${delivery.state === 'none' ? '' : delivery.jobId}</td>
      <td>${stateCell}</td>
      <td>${delivery.attemptsMade ?? ''}</td>
      <td>${delivery.finishedAt ? time(delivery.finishedAt) : delivery.destination === 'database' && delivery.state === 'none' ? time(data.event.storedAt) : ''}</td>
      <td>${delivery.delivered === undefined ? '' : delivery.delivered ? 'posted' : 'none'}</td>
      <td class="error">${delivery.state === 'completed' ? '' : delivery.error ?? ''}</td>
    </tr>`;
}

function deadLetterTable(letters: readonly DeadLetter[], key: string, csrfToken: string | undefined): SafeHtml {
  return html`
    <div id="dead-letters">
      <h3>Dead letters <span class="count">${letters.length}</span></h3>
      ${letters.length === 0
        ? html`<p class="empty">No dead letters for this event.</p>`
        : html`<table>
            <thead><tr><th>failed at</th><th>where</th><th>error</th><th>attempts</th><th></th></tr></thead>
            <tbody>${letters.map((letter) => html`
              <tr data-queue="${letter.queue}" data-job="${letter.jobId}">
                <td>${time(letter.failedAt)}</td>
                <td>${letter.kind === 'ingest' ? 'not normalized' : `${letter.sink ?? letter.queue} ${letter.status === 'stuck' ? 'stuck-run alert' : 'delivery'}`}</td>
                <td class="error">${letter.error}</td>
                <td>${letter.attemptsMade}</td>
                <td>${replayButton(letter, csrfToken, eventPath(key))}</td>
              </tr>`)}
            </tbody></table>`}
    </div>`;
}

function rawSection({ rawBody }: EventPageData): SafeHtml {
  return html`
    <section id="raw">
      <h2>Raw body</h2>
      ${rawBody === undefined
        ? html`<p class="empty">Not stored.</p>`
        : html`<p class="hint">${rawBody.json ? 'JSON, re-indented' : 'Not JSON: the text as received'};
            ${rawBody.source === 'stored bytes' ? 'from the database, byte for byte as received' : `from the ${rawBody.source}${rawBody.source === 'database' && rawBody.json ? ' (keys in the database’s order)' : ' (as received)'}`}.</p>
          <pre class="raw">${rawBody.text}</pre>`}
    </section>`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
