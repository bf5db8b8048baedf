import { html, type SafeHtml } from './html.ts';
import { logoutButton } from './page-parts.ts';

export type Section = 'overview' | 'events' | 'runs' | undefined;

const LINKS: ReadonlyArray<[Exclude<Section, undefined>, string, string]> = [
  ['overview', '/admin', 'Overview'],
  ['events', '/admin/events', 'Events'],
  ['runs', '/admin/runs', 'Runs'],
];

/** Every page's header: what it is, the way to the others, and the logout button. */
export function pageHeader(title: string, csrfToken: string | undefined, current: Section): SafeHtml {
  return html`
    <header>
      <h1>${title}</h1>
      <nav class="main">
        ${LINKS.map(([section, href, label]) => html`<a href="${href}"${section === current ? html` aria-current="page"` : ''}>${label}</a>`)}
        <a href="/admin/queues/">Queues (Bull Board)</a>
        ${logoutButton(csrfToken)}
      </nav>
    </header>`;
}

export const REFRESH_CHOICES = [15, 30, 60, 300] as const;

/** `?refresh=<seconds>`: off unless asked for, between 5 s and an hour. */
export function refreshInput(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,4}$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds === 0 ? undefined : Math.min(3_600, Math.max(5, seconds));
}

/** Links that turn the meta refresh on and off; `query` is the page's own (filters kept). */
export function refreshControl(path: string, query: URLSearchParams, current: number | undefined): SafeHtml {
  const href = (seconds: number | undefined) => {
    const next = new URLSearchParams(query);
    if (seconds === undefined) next.delete('refresh');
    else next.set('refresh', String(seconds));
    const text = next.toString();
    return text ? `${path}?${text}` : path;
  };
  return html`<p class="refresh">Auto-refresh:
    ${current === undefined ? html`<strong>off</strong>` : html`<a href="${href(undefined)}">off</a>`}
    ${REFRESH_CHOICES.map((seconds) => (seconds === current ? html`<strong>${seconds} s</strong>` : html`<a href="${href(seconds)}">${seconds} s</a>`))}
    ${current !== undefined && !(REFRESH_CHOICES as readonly number[]).includes(current) ? html`<strong>${current} s</strong>` : ''}</p>`;
}
