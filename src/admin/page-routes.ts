import type { NextFunction, Request, Response, Router } from 'express';
import type { Db } from '../db/db.ts';
import { searchEvents, searchRuns } from '../db/event-search.ts';
import { isProviderId } from '../providers/registry.ts';
import { providerInput } from '../replay/filter-input.ts';
import type { OpenReplayQueues } from '../replay/replay-queues.ts';
import type { Logger } from '../shared/logger.ts';
import { readCharts, type ChartWindow } from './chart-data.ts';
import { readEventPage } from './event-data.ts';
import { eventNotFoundPage, eventPage, eventUnreadablePage } from './event-page.ts';
import { html } from './html.ts';
import { layout } from './layout.ts';
import { pageHeader, refreshInput } from './page-header.ts';
import { firstString, queryList, queryStrings, sendPage, sessionOf } from './page-response.ts';
import type { Flash } from './page-parts.ts';
import { readOutcomes } from './replay-outcome.ts';
import { readRunPage, readSeriesPage } from './run-data.ts';
import { runPage, seriesPage } from './run-page.ts';
import { encodeCursor, eventCursorInput, keptQuery, parseFilter, runCursorInput, withQuery } from './search-filter.ts';
import { searchPage } from './search-page.ts';
import { readStatus } from './status-data.ts';
import { statusPage } from './status-page.ts';

export type PageDeps = { db: Db; queues: OpenReplayQueues; queuePrefix: string; logger: Logger };

/** The status page's HTML pages (after authentication): overview, search, event, run and series pages. */
export function registerPages(router: Router, deps: PageDeps): void {
  const page = (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };

  router.get('/', page(async (req, res) => {
    const q = queryStrings(req);
    const provider = providerInput(q.provider);
    const window: ChartWindow = q.window === '7d' ? '7d' : '24h';
    const view = { window, refreshSeconds: refreshInput(q.refresh), query: keptQuery(q) };
    const [data, charts, flash] = await Promise.all([
      readStatus(deps.db, deps.queues, provider),
      readCharts(deps.db, deps.queues, window, provider),
      readFlash(req, deps.queues),
    ]);
    sendPage(res, 200, statusPage(data, charts, view, sessionOf(res).csrfToken, flash));
  }));

  router.get('/events', page(async (req, res) => {
    const q = queryStrings(req);
    const { text, filter } = parseFilter(q);
    const after = eventCursorInput(q.after);
    const query = keptQuery(q);
    let problem: string | undefined;
    let found: Awaited<ReturnType<typeof searchEvents>> = { items: [], next: undefined };
    try {
      found = await searchEvents(deps.db, filter, after);
    } catch (error) {
      problem = readProblem(deps.logger, error, 'event search');
    }
    const nextUrl = found.next ? withQuery('/admin/events', withCursor(query, encodeCursor(found.next))) : undefined;
    const data = { kind: 'events' as const, text, query, nextUrl, paged: after !== undefined, events: found.items, runs: [], refreshSeconds: refreshInput(q.refresh), problem };
    sendPage(res, problem ? 503 : 200, searchPage(data, sessionOf(res).csrfToken, await readFlash(req, deps.queues)));
  }));

  router.get('/runs', page(async (req, res) => {
    const q = queryStrings(req);
    const { text, filter } = parseFilter(q);
    const after = runCursorInput(q.after);
    const query = keptQuery(q);
    let problem: string | undefined;
    let found: Awaited<ReturnType<typeof searchRuns>> = { items: [], next: undefined };
    try {
      found = await searchRuns(deps.db, filter, after);
    } catch (error) {
      problem = readProblem(deps.logger, error, 'run search');
    }
    const nextUrl = found.next ? withQuery('/admin/runs', withCursor(query, encodeCursor(found.next))) : undefined;
    const data = { kind: 'runs' as const, text, query, nextUrl, paged: after !== undefined, events: [], runs: found.items, refreshSeconds: refreshInput(q.refresh), problem };
    sendPage(res, problem ? 503 : 200, searchPage(data, sessionOf(res).csrfToken, await readFlash(req, deps.queues)));
  }));

  router.get('/events/:key', page(async (req, res) => {
    const key = String(req.params.key);
    const csrfToken = sessionOf(res).csrfToken;
    let data: Awaited<ReturnType<typeof readEventPage>>;
    try {
      data = await readEventPage(deps.db, deps.queues, deps.queuePrefix, key);
    } catch (error) {
      deps.logger.warn({ err: error, eventKey: key }, 'event page: the event could not be read');
      return sendPage(res, 503, eventUnreadablePage(key, error instanceof Error ? error.message : String(error), csrfToken));
    }
    if (!data) return sendPage(res, 404, eventNotFoundPage(key, csrfToken));
    sendPage(res, 200, eventPage(data, csrfToken, await readFlash(req, deps.queues)));
  }));

  router.get('/runs/:provider/:subject', page(async (req, res) => {
    const provider = String(req.params.provider);
    const subject = String(req.params.subject);
    const csrfToken = sessionOf(res).csrfToken;
    const data = isProviderId(provider) ? await readRunPage(deps.db, provider, subject) : undefined;
    if (!data) return sendPage(res, 404, notFound('run', `${provider} / ${subject}`, csrfToken));
    sendPage(res, 200, runPage(data, csrfToken));
  }));

  router.get('/series/:provider/:series', page(async (req, res) => {
    const provider = String(req.params.provider);
    const series = String(req.params.series);
    const csrfToken = sessionOf(res).csrfToken;
    const data = isProviderId(provider) ? await readSeriesPage(deps.db, provider, series) : undefined;
    if (!data) return sendPage(res, 404, notFound('series', `${provider} / ${series}`, csrfToken));
    sendPage(res, 200, seriesPage(data, csrfToken));
  }));
}

/** The outcome of a replay, from the redirect's query: the counts, and the watched jobs' states now. */
async function readFlash(req: Request, queues: OpenReplayQueues): Promise<Flash> {
  const replayed = firstString(req.query.replayed);
  if (replayed === undefined || !/^\d+$/.test(replayed)) return undefined;
  const skipped = firstString(req.query.skipped);
  const watch = queryList(req, 'watch');
  const jobs = watch.length === 0 ? [] : await readOutcomes(queues, watch).catch(() => []);
  return { replayed: Number(replayed), skipped: skipped && /^\d+$/.test(skipped) ? Number(skipped) : 0, jobs };
}

function withCursor(query: URLSearchParams, cursor: string): URLSearchParams {
  const next = new URLSearchParams(query);
  next.set('after', cursor);
  return next;
}

function readProblem(logger: Logger, error: unknown, what: string): string {
  logger.warn({ err: error }, `${what} failed`);
  return `${what} (database): ${error instanceof Error ? error.message : String(error)}`;
}

function notFound(what: string, name: string, csrfToken: string | undefined) {
  return layout(
    `hookline ${what}: not found`,
    html`${pageHeader(`hookline ${what}`, csrfToken, 'runs')}
      <p class="problem" role="alert">No ${what} <span class="key">${name}</span> is stored.</p>
      <p class="hint"><a href="/admin/runs">Search the runs</a>.</p>`,
  );
}
