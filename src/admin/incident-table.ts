import type { Incident } from '../db/incidents.ts';
import { humanDuration } from '../sinks/alert-text.ts';
import { html, type SafeHtml } from './html.ts';
import { clip, eventLink, runPath, tableWrap, time } from './page-parts.ts';

/** Open and past incidents, open first (listIncidents' order), each with how long it lasted. */
export function incidentTable(incidents: readonly Incident[], now = Date.now()): SafeHtml {
  if (incidents.length === 0) return html`<p class="empty">No incidents.</p>`;
  const open = incidents.filter((incident) => incident.resolvedAt === null).length;
  return html`
    <p class="hint"><span id="incidents-open">${open}</span> open, ${incidents.length - open} resolved.</p>
    ${tableWrap(html`<table class="incidents">
      <thead><tr><th>incident</th><th>kind</th><th>state</th><th>opened at</th><th>resolved at</th><th>lasted</th><th>failed runs</th><th>events</th></tr></thead>
      <tbody>${incidents.map((incident) => html`
        <tr data-incident="${incident.id}" data-state="${incident.resolvedAt === null ? 'open' : 'resolved'}">
          <td>${incident.id}</td>
          <td>${incident.kind}${incident.kind === 'stuck' && incident.subjectId ? html`<br><a class="key" href="${runPath(incident.provider, incident.subjectId)}">${clip(incident.subjectId)}</a>` : ''}</td>
          <td>${incident.resolvedAt === null ? html`<span class="status status-failed">open</span>` : html`<span class="status">resolved</span>`}</td>
          <td>${time(incident.openedAt)}</td>
          <td>${incident.resolvedAt === null ? '' : time(incident.resolvedAt)}</td>
          <td>${humanDuration(((incident.resolvedAt === null ? now : Date.parse(incident.resolvedAt)) - Date.parse(incident.openedAt)) / 1000)}${incident.resolvedAt === null ? ' so far' : ''}</td>
          <td>${incident.kind === 'failing' ? incident.runsFailed : ''}</td>
          <td class="key">${eventRoles(incident).map(([role, id]) => html`<div>${role}: ${eventLink(id, clip(id))}</div>`)}</td>
        </tr>`)}
      </tbody></table>`)}`;
}

function eventRoles(incident: Incident): Array<[string, string]> {
  const roles: Array<[string, string | null]> = [
    ['first', incident.firstEventId],
    ['last', incident.lastEventId],
    ['resolved by', incident.resolvedByEventId],
  ];
  return roles.filter((role): role is [string, string] => role[1] !== null);
}
