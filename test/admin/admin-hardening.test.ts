import { freeRestartablePort } from '../support/services.ts';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/admin/admin-router.ts';
import { createApp } from '../../src/ingress/create-app.ts';
import { errorMiddleware } from '../../src/shared/http-errors.ts';
import { serve } from '../../src/shared/http-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { LogCapture } from '../support/harness.ts';
import { KillableRedis } from '../support/killable-redis.ts';
import { sign } from '../support/signing.ts';
import { ADMIN_TOKEN, serveAdmin, startAdminPipeline, type AdminPipeline, type ServedAdmin } from './admin-pipeline.ts';

/**
 * Issue 12's findings on the status page: guessing is limited per client address (in Redis, so
 * across processes), sessions end on the server, client mistakes are 4xx, every page (Bull Board
 * too) refuses to be framed and loads nothing from elsewhere, and the Origin check is by origin.
 *
 * The main /admin here trusts the loopback proxy (TRUST_PROXY=loopback), so each test names its
 * own client address in X-Forwarded-For and locks out nobody else.
 */
let p: AdminPipeline;
const served: ServedAdmin[] = [];

beforeAll(async () => {
  p = await startAdminPipeline({ DATA_DIR: 'memory://' }, { trustProxy: ['loopback'] });
});
afterAll(async () => {
  for (const admin of served) await admin.close();
  await p?.close();
});

let addressCount = 0;
/** A fresh documentation-range address for one test. */
function newAddress(): string {
  addressCount += 1;
  return `203.0.113.${addressCount}`;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

function login(adminUrl: string, token: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${adminUrl}/login`, { method: 'POST', redirect: 'manual', headers: { ...form, ...headers }, body: new URLSearchParams({ token }) });
}

function api(adminUrl: string, token: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${adminUrl}/api/runs`, { headers: { authorization: `Bearer ${token}`, ...headers } });
}

async function sessionOf(adminUrl: string, headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string }> {
  const response = await login(adminUrl, ADMIN_TOKEN, headers);
  expect(response.status).toBe(303);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await (await fetch(adminUrl, { headers: { cookie, ...headers } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return { cookie, csrf };
}

function logEntries(logs: LogCapture): Array<Record<string, unknown>> {
  return logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function serveAnother(options: Parameters<typeof serveAdmin>[1]): Promise<ServedAdmin> {
  const admin = await serveAdmin(p, options);
  served.push(admin);
  return admin;
}

describe('the login limit (SPEC.md section 2)', () => {
  it('answers the 11th token from one address 429 with Retry-After ~900 s, whatever it sends, and only to that address', async () => {
    const attacker = { 'x-forwarded-for': newAddress() };
    for (let attempt = 1; attempt <= 10; attempt++) {
      const refused = await login(p.adminUrl, `wrong-guess-${attempt}-Xy7`, attacker);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('retry-after')).toBeNull();
    }
    // The right token now: still refused, until the window has passed.
    const locked = await login(p.adminUrl, ADMIN_TOKEN, attacker);
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(880);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(locked.headers.get('set-cookie')).toBeNull();
    expect(await locked.text()).toMatch(/Too many refused tokens from your address: try again in 15 minutes/);
    const asJson = await login(p.adminUrl, ADMIN_TOKEN, { ...attacker, accept: 'application/json' });
    expect(asJson.status).toBe(429);
    expect(await asJson.json()).toEqual({ error: 'too_many_requests', message: expect.stringMatching(/try again in 15 minutes/) });
    // The Bearer API from that address too, with the right token.
    const bearer = await api(p.adminUrl, ADMIN_TOKEN, attacker);
    expect(bearer.status).toBe(429);
    expect(Number(bearer.headers.get('retry-after'))).toBeGreaterThan(880);
    expect(await bearer.json()).toEqual({ error: 'too_many_requests', message: expect.any(String) });
    // Anyone else logs in.
    expect((await login(p.adminUrl, ADMIN_TOKEN, { 'x-forwarded-for': newAddress() })).status).toBe(303);
  });

  it('counts refused Bearer tokens on the API the same way, and logs each refusal with the address, never the token', async () => {
    const address = newAddress();
    const attacker = { 'x-forwarded-for': address };
    for (let attempt = 1; attempt <= 10; attempt++) {
      const refused = await api(p.adminUrl, `bearer-guess-${attempt}-Qw3`, attacker);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
    }
    const locked = await api(p.adminUrl, ADMIN_TOKEN, attacker);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(880);
    expect((await login(p.adminUrl, ADMIN_TOKEN, attacker)).status).toBe(429);

    const lines = logEntries(p.logs).filter((entry) => entry.clientAddress === address);
    const refusals = lines.filter((entry) => entry.msg === 'admin token refused');
    expect(refusals).toHaveLength(10);
    expect(refusals.map((entry) => entry.refused)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(refusals.every((entry) => entry.via === 'bearer' && entry.level === 40)).toBe(true);
    expect(lines.filter((entry) => String(entry.msg).includes('locked out'))).toHaveLength(1);
    expect(p.logs.text).not.toMatch(/bearer-guess-|wrong-guess-/);
    expect(p.logs.text).not.toContain(ADMIN_TOKEN);
  });

  it('lets no more than 10 guesses through per window, even sent all at once', async () => {
    const attacker = { 'x-forwarded-for': newAddress() };
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(p.adminUrl, `burst-${i}-Zz9`, attacker)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
    expect((await login(p.adminUrl, ADMIN_TOKEN, attacker)).status).toBe(429);
  });

  it('does not count the right token against the address', async () => {
    const operator = { 'x-forwarded-for': newAddress() };
    for (let attempt = 1; attempt <= 9; attempt++) expect((await login(p.adminUrl, `typo-${attempt}-Aa1`, operator)).status).toBe(401);
    for (let attempt = 1; attempt <= 5; attempt++) expect((await login(p.adminUrl, ADMIN_TOKEN, operator)).status).toBe(303);
    expect((await login(p.adminUrl, 'one-more-typo-Bb2', operator)).status).toBe(401);
    expect((await login(p.adminUrl, ADMIN_TOKEN, operator)).status).toBe(429);
  });

  it('holds across two processes sharing one Redis', async () => {
    const [one, two] = [await serveAnother({ trustProxy: ['loopback'] }), await serveAnother({ trustProxy: ['loopback'] })];
    const attacker = { 'x-forwarded-for': newAddress() };
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(one.adminUrl, `guess-one-${attempt}-Cc3`, attacker)).status).toBe(401);
      expect((await api(two.adminUrl, `guess-two-${attempt}-Dd4`, attacker)).status).toBe(401);
    }
    expect((await login(one.adminUrl, ADMIN_TOKEN, attacker)).status).toBe(429);
    expect((await login(two.adminUrl, ADMIN_TOKEN, attacker)).status).toBe(429);
    expect((await login(p.adminUrl, ADMIN_TOKEN, attacker)).status).toBe(429);
  });

  it('lets the address in again once the window has passed (a 2-second window here)', async () => {
    const admin = await serveAnother({ queuePrefix: `t${randomUUID().slice(0, 8)}`, trustProxy: ['loopback'], loginLimit: { attempts: 3, windowSeconds: 2 } });
    const attacker = { 'x-forwarded-for': newAddress() };
    for (let attempt = 1; attempt <= 3; attempt++) expect((await login(admin.adminUrl, `guess-${attempt}-Ee5`, attacker)).status).toBe(401);
    const locked = await login(admin.adminUrl, ADMIN_TOKEN, attacker);
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect((await login(admin.adminUrl, 'still-guessing-Ff6', attacker)).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 300));
    expect((await login(admin.adminUrl, ADMIN_TOKEN, attacker)).status).toBe(303);
    // A fresh window: three more refusals before the next lockout.
    for (let attempt = 1; attempt <= 3; attempt++) expect((await login(admin.adminUrl, `again-${attempt}-Gg7`, attacker)).status).toBe(401);
    expect((await login(admin.adminUrl, ADMIN_TOKEN, attacker)).status).toBe(429);
  });

  it('counts the socket address when TRUST_PROXY is unset: a forged X-Forwarded-For changes nothing', async () => {
    const logs = new LogCapture();
    const admin = await serveAnother({ queuePrefix: `t${randomUUID().slice(0, 8)}`, loginLimit: { attempts: 3, windowSeconds: 60 }, logs });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await login(admin.adminUrl, `guess-${attempt}-Hh8`, { 'x-forwarded-for': newAddress() })).status).toBe(401);
    }
    expect((await login(admin.adminUrl, ADMIN_TOKEN, { 'x-forwarded-for': newAddress() })).status).toBe(429);
    const refusals = logEntries(logs).filter((entry) => entry.msg === 'admin token refused');
    expect(refusals.map((entry) => entry.clientAddress)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });
});

describe('sessions on the server', () => {
  it('ends at logout: the old cookie no longer opens /admin', async () => {
    const client = { 'x-forwarded-for': newAddress() };
    const { cookie, csrf } = await sessionOf(p.adminUrl, client);
    expect((await fetch(p.adminUrl, { headers: { cookie } })).status).toBe(200);
    const logout = await fetch(`${p.adminUrl}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, ...form }, body: new URLSearchParams({ _csrf: csrf }) });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe('/admin/login');
    expect(logout.headers.get('set-cookie')).toMatch(/^hookline_admin=; .*Max-Age=0/);
    // The cookie kept (or stolen) from before the logout:
    const page = await fetch(p.adminUrl, { redirect: 'manual', headers: { cookie, accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');
    const board = await fetch(`${p.adminUrl}/queues/`, { redirect: 'manual', headers: { cookie, accept: 'text/html' } });
    expect(board.status).toBe(303);
    const replay = await fetch(`${p.adminUrl}/replay`, { method: 'POST', redirect: 'manual', headers: { cookie, ...form }, body: new URLSearchParams({ _csrf: csrf, all: '1' }) });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
  });

  it('ends when ADMIN_TOKEN changes: the process with the new token opens no session of the old one', async () => {
    const client = { 'x-forwarded-for': newAddress() };
    const { cookie } = await sessionOf(p.adminUrl, client);
    const rotated = await serveAnother({ token: 'hl-Rotated-Token-3kX8vN5qZ2wL', trustProxy: ['loopback'] });
    const page = await fetch(rotated.adminUrl, { redirect: 'manual', headers: { cookie, accept: 'text/html', ...client } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');
    expect(page.headers.get('set-cookie')).toMatch(/^hookline_admin=; .*Max-Age=0/);
    // The old token is refused there; the new one opens a session.
    expect((await login(rotated.adminUrl, ADMIN_TOKEN, client)).status).toBe(401);
    expect((await login(rotated.adminUrl, 'hl-Rotated-Token-3kX8vN5qZ2wL', client)).status).toBe(303);
  });

  it('starts afresh at each login: the session the browser held before ends', async () => {
    const client = { 'x-forwarded-for': newAddress() };
    const first = await sessionOf(p.adminUrl, client);
    const again = await login(p.adminUrl, ADMIN_TOKEN, { cookie: first.cookie, ...client });
    expect(again.status).toBe(303);
    const second = (again.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(second).not.toBe(first.cookie);
    expect((await fetch(p.adminUrl, { redirect: 'manual', headers: { cookie: first.cookie } })).status).toBe(303);
    expect((await fetch(p.adminUrl, { headers: { cookie: second } })).status).toBe(200);
  });
});

/** A raw request, so the test controls every header and byte (fetch would set or refuse some). */
function raw(url: string, method: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: response.headers }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('client mistakes: a 4xx with the one error body, never a 500 nor an error-level log line', () => {
  const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const errorBody = (body: string) => JSON.parse(body) as unknown;

  it('60 form fields to /admin/login: 413, too many parameters', async () => {
    const fields = new URLSearchParams({ token: 'x' });
    for (let i = 0; i < 60; i++) fields.set(`f${i}`, 'x');
    const response = await raw(`${p.adminUrl}/login`, 'POST', form, fields.toString());
    expect(response.status).toBe(413);
    expect(errorBody(response.body)).toEqual({ error: 'payload_too_large', message: 'too many parameters in the form' });
  });

  it('a form larger than the status page takes: 413, without naming MAX_BODY_BYTES', async () => {
    const response = await raw(`${p.adminUrl}/login`, 'POST', form, `token=${'x'.repeat(20_000)}`);
    expect(response.status).toBe(413);
    expect(errorBody(response.body)).toEqual({ error: 'payload_too_large', message: 'the body is larger than this endpoint takes' });
  });

  it('a gzip Content-Encoding with a body that is not gzip: 415 on the login form, the API and the webhooks', async () => {
    const gzip = { 'content-encoding': 'gzip' };
    for (const [url, headers] of [
      [`${p.adminUrl}/login`, { ...form, ...gzip }],
      [`${p.adminUrl}/api/replay`, { 'content-type': 'application/json', ...gzip, ...bearer }],
      [`${p.adminUrl}/queues/api/queues/ingest/retry/failed`, { 'content-type': 'application/json', ...gzip, ...bearer }],
      // A webhook's body is read once its signature header passes the checks that need no body.
      [`${p.baseUrl}/webhooks/persona`, { 'content-type': 'application/json', ...gzip, ...sign('persona', 'this is not gzip at all').headers }],
    ] as const) {
      const response = await raw(url, url.includes('/queues/') ? 'PUT' : 'POST', headers, 'this is not gzip at all');
      expect(response.status, url).toBe(415);
      expect(errorBody(response.body), url).toEqual({ error: 'unsupported_encoding', message: 'compressed bodies are not accepted' });
    }
  });

  it('a body that fails to decompress, where a parser does inflate (Z_DATA_ERROR): 400', async () => {
    const logs = new LogCapture();
    const app = express();
    app.post('/form', express.urlencoded({ extended: false }), (_req, res) => void res.json({}));
    app.use(errorMiddleware(createLogger('debug', logs)));
    const server = await serve(app, { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 500 });
    try {
      const truncated = gzipSync(Buffer.from('token=x'.repeat(100))).subarray(0, 20);
      for (const body of [Buffer.from('not gzip'), truncated]) {
        const response = await raw(`http://127.0.0.1:${server.port}/form`, 'POST', { ...form, 'content-encoding': 'gzip' }, body);
        expect(response.status).toBe(400);
        expect(errorBody(response.body)).toEqual({ error: 'bad_request', message: expect.any(String) });
      }
      expect(logs.text).not.toMatch(/"level":50|stack/);
    } finally {
      await server.close();
    }
  });

  it('malformed JSON to /admin/api/replay and to Bull Board’s API: 400 invalid_json', async () => {
    for (const [url, method] of [
      [`${p.adminUrl}/api/replay`, 'POST'],
      [`${p.adminUrl}/queues/api/queues/ingest/retry/failed`, 'PUT'],
    ] as const) {
      const response = await raw(url, method, { 'content-type': 'application/json', ...bearer }, '{"provider": ');
      expect(response.status, url).toBe(400);
      expect(errorBody(response.body), url).toEqual({ error: 'invalid_json', message: 'the body is not valid JSON' });
    }
  });

  it('a path that is not percent-encoding: 400', async () => {
    const response = await raw(`${p.adminUrl}/events/%E0%A4%A`, 'GET', bearer, '');
    expect(response.status).toBe(400);
    expect(errorBody(response.body)).toEqual({ error: 'bad_request', message: expect.any(String) });
  });

  it('left no error-level line and no stack trace in the log', () => {
    const errors = logEntries(p.logs).filter((entry) => Number(entry.level) >= 50);
    expect(errors).toEqual([]);
    expect(p.logs.text).not.toMatch(/"stack"/);
  });
});

describe('headers of every admin page, Bull Board included', () => {
  const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('Bull Board: CSP with frame-ancestors none and only this origin, X-Frame-Options DENY, no X-Powered-By, no third-party URL', async () => {
    const response = await fetch(`${p.adminUrl}/queues/`, { headers: bearer });
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/https?:|\*/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-powered-by')).toBeNull();
    const page = await response.text();
    expect(page).toContain('<div id="root">');
    expect(page).not.toMatch(/(?:href|src)\s*=\s*["']?(?:[a-z]+:)?\/\//i);
    expect(page).not.toMatch(/googleapis|gstatic/);

    const script = /<script defer src="([^"]+)"/.exec(page)?.[1];
    expect(script).toBeDefined();
    for (const path of [script, 'api/queues']) {
      const asset = await fetch(`${p.adminUrl}/queues/${path}`, { headers: bearer });
      expect(asset.status, path).toBe(200);
      expect(asset.headers.get('x-powered-by'), path).toBeNull();
      expect(asset.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('every other admin answer: frame-ancestors none, X-Frame-Options DENY, no X-Powered-By', async () => {
    const client = { 'x-forwarded-for': newAddress() };
    const { cookie } = await sessionOf(p.adminUrl, client);
    const answers = [
      await fetch(`${p.adminUrl}/login`),
      await fetch(p.adminUrl, { redirect: 'manual', headers: { accept: 'text/html' } }),
      await fetch(`${p.adminUrl}/api/runs`),
      await fetch(p.adminUrl, { headers: { cookie } }),
      await fetch(`${p.adminUrl}/api/runs`, { headers: bearer }),
      await fetch(`${p.adminUrl}/events/nope`, { headers: bearer }),
    ];
    for (const answer of answers) {
      expect(answer.headers.get('content-security-policy'), answer.url).toMatch(/frame-ancestors 'none'/);
      expect(answer.headers.get('x-frame-options'), answer.url).toBe('DENY');
      expect(answer.headers.get('x-powered-by'), answer.url).toBeNull();
    }
    for (const path of ['/healthz', '/webhooks/persona', '/nowhere']) expect((await fetch(`${p.baseUrl}${path}`)).headers.get('x-powered-by')).toBeNull();
  });
});

describe('the Origin check: scheme, host and port', () => {
  it('refuses a form post from another scheme, port or host, and takes its own origin (and a TLS proxy’s)', async () => {
    const client = { 'x-forwarded-for': newAddress() };
    const { cookie, csrf } = await sessionOf(p.adminUrl, client);
    const own = new URL(p.adminUrl);
    const replay = (headers: Record<string, string>) =>
      fetch(`${p.adminUrl}/replay`, { method: 'POST', redirect: 'manual', headers: { cookie, ...form, ...client, ...headers }, body: new URLSearchParams({ _csrf: csrf, all: '1' }) });
    for (const origin of [`https://${own.host}`, `http://${own.hostname}:${Number(own.port) + 1}`, `http://localhost:${own.port}`, `http://${own.hostname}`, 'null']) {
      expect((await replay({ origin })).status, origin).toBe(403);
    }
    expect((await replay({ referer: `https://${own.host}/admin` })).status).toBe(403);
    expect((await replay({ origin: own.origin })).status).toBe(303);
    expect((await replay({ referer: `${own.origin}/admin` })).status).toBe(303);
    // Behind a TLS-terminating proxy the browser's origin is https, and so is the forwarded scheme.
    expect((await replay({ origin: `https://${own.host}`, 'x-forwarded-proto': 'https' })).status).toBe(303);
    expect((await replay({ origin: own.origin, 'x-forwarded-proto': 'https' })).status).toBe(403);
  });
});

describe('the request log', () => {
  it('shows the full path of admin requests (/admin/login, not /login), without the query string', async () => {
    await fetch(`${p.adminUrl}/login?next=%2Fadmin%2Fqueues`);
    await login(p.adminUrl, 'log-path-guess-Jj1', { 'x-forwarded-for': newAddress() });
    const paths = logEntries(p.logs).filter((entry) => entry.msg === 'request').map((entry) => `${String(entry.method)} ${String(entry.path)}`);
    expect(paths).toContain('GET /admin/login');
    expect(paths).toContain('POST /admin/login');
    expect(paths.some((path) => / \/login$|\?/.test(path))).toBe(false);
  });
});

describe('while Redis (sessions, login counts) is away', () => {
  it('answers 503 with Retry-After, never a 500, and still counts refused tokens (in memory)', async () => {
    const redis = new KillableRedis(await freeRestartablePort());
    await redis.start();
    const logs = new LogCapture();
    const logger = createLogger('debug', logs);
    const admin = createAdmin({ token: ADMIN_TOKEN, db: p.db, redisUrl: redis.url, queuePrefix: `t${randomUUID().slice(0, 8)}`, logger, loginLimit: { attempts: 3, windowSeconds: 60 } });
    const server = await serve(createApp({ config: p.config, logger, metrics: p.metrics, readiness: [], admin: admin.router }), { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 500 });
    const adminUrl = `http://127.0.0.1:${server.port}/admin`;
    try {
      const { cookie } = await sessionOf(adminUrl);
      await redis.kill();
      const page = await fetch(adminUrl, { redirect: 'manual', headers: { cookie } });
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(await page.json()).toEqual({ error: 'unavailable', message: expect.stringMatching(/session store/) });
      const relogin = await login(adminUrl, ADMIN_TOKEN);
      expect(relogin.status).toBe(503);
      for (let attempt = 1; attempt <= 3; attempt++) expect((await login(adminUrl, `outage-guess-${attempt}-Kk2`)).status).toBe(401);
      expect((await login(adminUrl, ADMIN_TOKEN)).status).toBe(429);
      expect(logEntries(logs).filter((entry) => Number(entry.level) >= 50)).toEqual([]);
    } finally {
      await server.close();
      await admin.close();
      await redis.kill();
    }
  }, 60_000);
});
