import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Db } from '../db/db.ts';
import { jobRuns, recentEvents } from '../db/queries.ts';
import { findDeadLetters } from '../replay/dead-letters.ts';
import {
  FilterInputError,
  limitInput,
  providerInput,
  sinksInput,
  statusInput,
  timeInput,
} from '../replay/filter-input.ts';
import { openReplayQueues, type OpenReplayQueues } from '../replay/replay-queues.ts';
import { replayDeadLetters, replayJob, type ReplayOutcome } from '../replay/replay.ts';
import type { Logger } from '../shared/logger.ts';
import { HttpError } from '../shared/errors.ts';
import {
  AdminAuth,
  clearSessionCookie,
  credentialOf,
  csrfMatches,
  sameOriginOnly,
  sessionCookieOf,
  setSessionCookie,
  type AdminSession,
} from './admin-auth.ts';
import { clientAddress, LOGIN_LIMIT, LoginLimiter, redisIsAway, type LoginLimitOptions } from './login-limit.ts';
import { eventApi } from './admin-api.ts';
import { loginPage } from './login-page.ts';
import { safeAdminPath } from './page-parts.ts';
import { firstString, queryStrings, sendPage, sessionOf } from './page-response.ts';
import { registerPages } from './page-routes.ts';
import { awaitOutcomes, watchParams } from './replay-outcome.ts';
import { keptQuery } from './search-filter.ts';
import type { RedisTarget } from '../shared/redis-topology.ts';

export const ADMIN_PATH = '/admin';
/** "Replay all" replays more than the page lists (200), yet stays bounded per click. */
const REPLAY_ALL_LIMIT = 10_000;

export type AdminOptions = {
  token: string;
  db: Db;
  /** REDIS_URL, or the configured topology (`config.redis`). */
  redisUrl: RedisTarget;
  queuePrefix: string;
  /** Route destinations' ids, whose queues hold dead letters too. */
  destinationIds?: readonly string[];
  logger: Logger;
  /** Tests only: a smaller window, to see a lockout pass. SPEC.md's rule (10 per 15 minutes) otherwise. */
  loginLimit?: LoginLimitOptions;
};

export type Admin = { router: Router; queues: OpenReplayQueues; close(): Promise<void> };

/** Every other answer under /admin (JSON, redirects): nothing to load, nothing to frame. */
const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/**
 * Bull Board is a script-driven page: its own scripts, styles, images and API calls, all from this
 * origin (its link to a third-party font host is taken out of the page, below); nothing else.
 */
const BOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; manifest-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

type TokenVerdict = { ok: true } | { ok: false; retryAfterSeconds: number | undefined };

/**
 * The status page, its JSON API (for the CLI) and Bull Board, all behind ADMIN_TOKEN. Mounted at
 * /admin by processes that have a database (all-in-one and worker).
 */
export function createAdmin(options: AdminOptions): Admin {
  const queues = openReplayQueues(options.redisUrl, options.queuePrefix, options.destinationIds ?? []);
  // Sessions and the login limit live in Redis (the status page's own connection), so every
  // process serving /admin shares them.
  const auth = new AdminAuth({ token: options.token, redis: queues.connection, keyPrefix: `${options.queuePrefix}:admin:session` });
  const limiter = new LoginLimiter(queues.connection, `${options.queuePrefix}:admin:login-refused`, options.logger, options.loginLimit ?? LOGIN_LIMIT);
  const router = express.Router();
  // No client compresses a form or a replay request; refusing compressed bodies leaves no inflate step to break.
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50, inflate: false });

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', DEFAULT_CSP);
    next();
  });
  router.use(sameOriginOnly());

  /**
   * A token someone presented. A refused one is counted against the client address; a right one is
   * let in only while that address is not locked out (SPEC.md section 2: whatever it sends).
   */
  async function checkToken(req: Request, token: string, via: 'login' | 'bearer'): Promise<TokenVerdict> {
    const address = clientAddress(req);
    const matches = auth.tokenMatches(token);
    const verdict = matches ? await limiter.check(address) : await limiter.refuse(address, via);
    if (!verdict.allowed) return { ok: false, retryAfterSeconds: verdict.retryAfterSeconds };
    return matches ? { ok: true } : { ok: false, retryAfterSeconds: undefined };
  }

  /** The request's session: its Bearer token or its session cookie. */
  async function authenticate(req: Request): Promise<{ session: AdminSession | undefined; retryAfterSeconds?: number; staleCookie?: boolean }> {
    const credential = credentialOf(req);
    if (credential.kind === 'none') return { session: undefined };
    if (credential.kind === 'cookie') {
      const session = await withSessionStore(() => auth.sessionFromCookie(credential.value));
      return session ? { session } : { session: undefined, staleCookie: true };
    }
    const verdict = await checkToken(req, credential.token ?? '', 'bearer');
    if (verdict.ok) return { session: { via: 'bearer', csrfToken: undefined } };
    return verdict.retryAfterSeconds === undefined ? { session: undefined } : { session: undefined, retryAfterSeconds: verdict.retryAfterSeconds };
  }

  /** Redis holds the sessions: while it cannot be reached, a session cannot be opened or found (503). */
  async function withSessionStore<T>(work: () => Promise<T>): Promise<T> {
    if (redisIsAway(queues.connection)) throw sessionStoreUnavailable(undefined);
    try {
      return await work();
    } catch (error) {
      throw sessionStoreUnavailable(error);
    }
  }

  // `next` brings the browser back to the page it asked for; only a path of ours is ever followed.
  router.get('/login', async (req, res) => {
    const next = safeAdminPath(firstString(req.query.next));
    const { session } = await authenticate(req);
    if (session) return res.redirect(303, next ?? ADMIN_PATH);
    sendPage(res, 200, loginPage(undefined, next));
  });
  router.post('/login', form, async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const next = safeAdminPath(formBody(req).next);
    const verdict = await checkToken(req, token, 'login');
    if (!verdict.ok) {
      if (verdict.retryAfterSeconds !== undefined) {
        res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
        const message = `Too many refused tokens from your address: try again in ${waitText(verdict.retryAfterSeconds)}.`;
        if (prefersJson(req)) return res.status(429).json({ error: 'too_many_requests', message });
        return sendPage(res, 429, loginPage(message, next));
      }
      if (prefersJson(req)) return res.status(401).json({ error: 'unauthorized', message: 'that is not the admin token' });
      return sendPage(res, 401, loginPage('That is not the admin token.', next));
    }
    const opened = await withSessionStore(async () => {
      // A session this browser held before ends: a login always starts a fresh one.
      await auth.endSession(sessionCookieOf(req));
      return auth.openSession();
    });
    setSessionCookie(req, res, opened.cookie);
    res.redirect(303, next ?? ADMIN_PATH);
  });

  router.use(async (req, res, next) => {
    const { session, retryAfterSeconds, staleCookie } = await authenticate(req);
    if (retryAfterSeconds !== undefined) {
      res.setHeader('Retry-After', String(retryAfterSeconds));
      return res.status(429).json({ error: 'too_many_requests', message: `too many refused tokens from this address; try again in ${waitText(retryAfterSeconds)}` });
    }
    if (!session) {
      if (staleCookie) clearSessionCookie(req, res);
      if (req.method === 'GET' && !req.path.startsWith('/api/') && req.accepts(['html', 'json']) === 'html') {
        // A page of ours (an event page: the link in an alert) is worth coming back to after logging in.
        const next = /^\/(events|runs|series)(\/|$)/.test(req.path) ? safeAdminPath(`${ADMIN_PATH}${req.path}`) : undefined;
        return res.redirect(303, `${ADMIN_PATH}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
      }
      return res.status(401).json({ error: 'unauthorized', message: 'send Authorization: Bearer <ADMIN_TOKEN>, or log in at /admin/login' });
    }
    res.locals.session = session;
    next();
  });

  registerPages(router, { db: options.db, queues, queuePrefix: options.queuePrefix, logger: options.logger });

  // Ends the session on the server: the cookie, kept or stolen, opens nothing afterwards.
  router.post('/logout', form, requireCsrf, async (req, res) => {
    await withSessionStore(() => auth.endSession(sessionCookieOf(req)));
    clearSessionCookie(req, res);
    res.redirect(303, `${ADMIN_PATH}/login`);
  });

  router.post('/replay', form, requireCsrf, async (req, res, next) => {
    try {
      const body = formBody(req);
      const provider = providerInput(body.provider);
      let outcome: ReplayOutcome;
      if (body.all === '1') outcome = await replayDeadLetters(queues, { provider, limit: REPLAY_ALL_LIMIT });
      else if (body.queue && body.job) outcome = await replayJob(queues, body.queue, body.job);
      else throw new FilterInputError('name a dead letter (queue and job) or all=1');
      logReplay(options.logger, outcome, 'status page');
      // The page shows what became of the jobs: wait a moment for them to run (an event that cannot
      // be normalized fails again at once), then name them so the page reads their state.
      const watch = watchParams(outcome.replayed);
      await awaitOutcomes(queues, watch);
      // The event page's buttons come back to it; anything else to the status page, its filters kept.
      const back = safeAdminPath(body.next);
      const query = keptQuery(body.filters);
      if (provider && !back) query.set('provider', provider);
      query.set('replayed', String(outcome.replayed.length));
      query.set('skipped', String(outcome.skipped.length));
      for (const job of watch) query.append('watch', job);
      res.redirect(303, `${back ?? ADMIN_PATH}?${query.toString()}`);
    } catch (error) {
      next(error);
    }
  });

  router.use('/api', apiRouter(options, queues));
  router.use('/api', eventApi(options.db, queues, options.queuePrefix));

  const board = new ExpressAdapter();
  board.setBasePath(`${ADMIN_PATH}/queues`);
  createBullBoard({
    queues: queues.all.map((queue) => new BullMQAdapter(queue)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'hookline' } },
  });
  const boardApp = board.getRouter() as express.Express;
  // Bull Board is an Express app of its own, with Express' defaults: it would announce itself.
  boardApp.disable('x-powered-by');
  withoutThirdPartyLoads(boardApp);
  router.use(
    '/queues',
    (_req, res, next) => {
      res.setHeader('Content-Security-Policy', BOARD_CSP);
      next();
    },
    // Its API's bodies are read here first, so that a malformed one gets our error answer.
    express.json({ limit: '100kb', inflate: false }),
    boardApp as RequestHandler,
  );

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof FilterInputError) return res.status(400).json({ error: 'bad_request', message: error.message });
    next(error);
  });

  return { router, queues, close: () => queues.close() };
}

function sessionStoreUnavailable(cause: unknown): HttpError {
  const unavailable = new HttpError(503, 'unavailable', 'the session store (Redis) cannot be reached; try again shortly', { 'Retry-After': '5' });
  unavailable.cause = cause ?? new Error('the Redis connection is down');
  return unavailable;
}

/**
 * Bull Board's page links a stylesheet on a third-party font host (its index.ejs). The page is
 * rendered through Express' view engine, so the rendered HTML passes through here and any element
 * that loads from another host is taken out: the board falls back to the system fonts.
 */
function withoutThirdPartyLoads(boardApp: express.Express): void {
  type Engine = (path: string, options: object, callback: (error: Error | null, html?: string) => void) => void;
  const engines = (boardApp as unknown as { engines: Record<string, Engine | undefined> }).engines;
  const render = engines['.ejs'];
  if (!render) throw new Error('Bull Board no longer renders its page with ejs: check it for third-party loads');
  boardApp.engine('ejs', (path, viewOptions, callback) =>
    render(path, viewOptions, (error, html) => callback(error, html === undefined ? html : stripExternalLoads(html))),
  );
}

export function stripExternalLoads(html: string): string {
  return html.replace(/<(link|script|img|iframe)\b[^>]*\b(?:href|src)\s*=\s*["']?(?:https?:)?\/\/[^>]*>(?:\s*<\/\1>)?/gi, '');
}

function waitText(seconds: number): string {
  return seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

function prefersJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

/** JSON for the CLI and scripts: Bearer only, so no cookie (and no CSRF question) is involved. */
function apiRouter(options: AdminOptions, queues: OpenReplayQueues): Router {
  const api = express.Router();
  api.use((_req, res, next) => {
    if (sessionOf(res).via !== 'bearer') {
      return res.status(401).json({ error: 'unauthorized', message: 'the API takes Authorization: Bearer <ADMIN_TOKEN>' });
    }
    next();
  });
  api.get('/events', async (req, res, next) => {
    try {
      const q = queryStrings(req);
      res.json({
        events: await recentEvents(options.db, {
          provider: providerInput(q.provider),
          status: statusInput(q.status),
          since: timeInput('since', q.since),
          limit: limitInput(q.limit),
        }),
      });
    } catch (error) {
      next(error);
    }
  });
  api.get('/runs', async (req, res, next) => {
    try {
      const q = queryStrings(req);
      res.json({ runs: await jobRuns(options.db, { provider: providerInput(q.provider), status: statusInput(q.status), limit: limitInput(q.limit) }) });
    } catch (error) {
      next(error);
    }
  });
  api.get('/dead-letters', async (req, res, next) => {
    try {
      const found = await findDeadLetters(queues, deadLetterFilter(queryStrings(req)));
      res.json({ deadLetters: found.map(({ job: _job, ...letter }) => letter) });
    } catch (error) {
      next(error);
    }
  });
  api.post('/replay', express.json({ limit: '16kb', inflate: false }), async (req, res, next) => {
    try {
      const body = jsonStrings(req.body);
      const outcome = await replayDeadLetters(queues, deadLetterFilter(body), { dryRun: body.dryRun === 'true' });
      if (!outcome.dryRun) logReplay(options.logger, outcome, 'api');
      res.json(outcome);
    } catch (error) {
      next(error);
    }
  });
  return api;
}

function deadLetterFilter(input: Record<string, string | undefined>) {
  return {
    key: input.key || undefined,
    provider: providerInput(input.provider),
    sinks: sinksInput(input.sink),
    since: timeInput('since', input.since),
    until: timeInput('until', input.until),
    limit: limitInput(input.limit, 10_000),
  };
}

function logReplay(logger: Logger, outcome: ReplayOutcome, from: string): void {
  logger.info(
    {
      from,
      replayed: outcome.replayed.map((letter) => ({ queue: letter.queue, jobId: letter.jobId, eventKey: letter.eventKey })),
      skipped: outcome.skipped.length,
    },
    'dead letters replayed',
  );
}

function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  const session = sessionOf(res);
  if (session.via === 'bearer' || csrfMatches(session, formBody(req)._csrf)) return next();
  res.status(403).json({ error: 'forbidden', message: 'missing or stale form token; reload the page' });
}

function formBody(req: Request): Record<string, string | undefined> {
  return jsonStrings(req.body);
}

/** Only the string (and boolean) fields of a parsed body; anything else is ignored. */
function jsonStrings(body: unknown): Record<string, string | undefined> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') out[name] = value;
    else if (typeof value === 'boolean' || typeof value === 'number') out[name] = String(value);
  }
  return out;
}
