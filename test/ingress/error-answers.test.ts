import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/ingress/create-app.ts';
import type { EventStore } from '../../src/ingress/event-store.ts';
import { ERROR_CODES, ERROR_STATUS, answerForError, type ErrorCode } from '../../src/shared/http-errors.ts';
import { serve, type RunningServer } from '../../src/shared/http-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { REJECTION_REASONS, createMetrics } from '../../src/shared/metrics.ts';
import { ADMIN_TOKEN, startAdminPipeline, type AdminPipeline } from '../admin/admin-pipeline.ts';
import { LogCapture, startTestIngress, testConfig, type TestIngress } from '../support/harness.ts';
import { sampleValue, scrape } from '../support/prometheus.ts';
import { sign } from '../support/signing.ts';

/**
 * One error model: every code of src/shared/http-errors.ts is answered somewhere over real HTTP,
 * always as {"error": <code>, "message": <text>} with the code's status, and a webhook answer's
 * code is the reason hookline_webhook_rejections_total records.
 */
type Case = {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  code: ErrorCode;
  /** Allow / Retry-After and the like, as answered. */
  expectHeaders?: Record<string, string | RegExp>;
  /** The provider label the metric records it under; absent for paths outside /webhooks/. */
  provider?: string;
};

const answered = new Set<ErrorCode>();

async function check(baseUrl: string, metricsUrl: string | undefined, c: Case): Promise<void> {
  const before = metricsUrl && c.provider ? (sampleValue(await scrape(metricsUrl), 'hookline_webhook_rejections_total', { provider: c.provider, reason: c.code }) ?? 0) : 0;
  const response = await fetch(`${baseUrl}${c.path}`, {
    method: c.method,
    redirect: 'manual',
    headers: c.headers ?? {},
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  expect(response.status, c.name).toBe(ERROR_STATUS[c.code]);
  expect(response.headers.get('content-type'), c.name).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body, c.name).toMatchObject({ error: c.code, message: expect.any(String) });
  expect(String(body.message).length, c.name).toBeGreaterThan(0);
  for (const [name, value] of Object.entries(c.expectHeaders ?? {})) expect(response.headers.get(name), `${c.name}: ${name}`).toMatch(value);
  if (metricsUrl && c.provider) {
    const after = sampleValue(await scrape(metricsUrl), 'hookline_webhook_rejections_total', { provider: c.provider, reason: c.code });
    expect(after, `${c.name}: metric`).toBe(before + 1);
  }
  answered.add(c.code);
}

const reachfive = sign('reachfive', '').headers;
const json = { 'content-type': 'application/json' };

describe('the ingress', () => {
  let t: TestIngress;
  beforeAll(async () => {
    t = await startTestIngress({ MAX_BODY_BYTES: '4096' });
  });
  afterAll(async () => {
    await t.close();
  });

  const cases: Case[] = [
    { name: 'unknown path', method: 'GET', path: '/nothing-here', code: 'not_found' },
    { name: 'unknown provider', method: 'POST', path: '/webhooks/acme', headers: json, body: '{}', code: 'not_found', provider: 'unknown' },
    { name: 'unknown provider, another method', method: 'GET', path: '/webhooks/acme', code: 'not_found', provider: 'unknown' },
    { name: 'GET on a webhook', method: 'GET', path: '/webhooks/persona', code: 'method_not_allowed', expectHeaders: { allow: /^POST$/ }, provider: 'persona' },
    { name: 'PUT on a webhook', method: 'PUT', path: '/webhooks/reachfive', headers: json, body: '{}', code: 'method_not_allowed', expectHeaders: { allow: /^POST$/ }, provider: 'reachfive' },
    { name: 'POST /healthz', method: 'POST', path: '/healthz', code: 'method_not_allowed', expectHeaders: { allow: /^GET, HEAD$/ } },
    { name: 'DELETE /metrics', method: 'DELETE', path: '/metrics', code: 'method_not_allowed', expectHeaders: { allow: /^GET, HEAD$/ } },
    { name: 'POST /openapi.json', method: 'POST', path: '/openapi.json', code: 'method_not_allowed', expectHeaders: { allow: /^GET, HEAD$/ } },
    { name: 'no signature', method: 'POST', path: '/webhooks/persona', headers: json, body: '{}', code: 'unauthorized', provider: 'persona' },
    { name: 'not JSON', method: 'POST', path: '/webhooks/reachfive', headers: { ...json, ...reachfive }, body: '{"id":', code: 'invalid_json', provider: 'reachfive' },
    { name: 'undecodable path', method: 'POST', path: '/webhooks/%%', headers: json, body: '{}', code: 'bad_request', provider: 'unknown' },
    {
      name: 'body over MAX_BODY_BYTES',
      method: 'POST',
      path: '/webhooks/reachfive',
      headers: { ...json, ...reachfive },
      body: JSON.stringify({ id: 'big', padding: 'x'.repeat(5000) }),
      code: 'payload_too_large',
      provider: 'reachfive',
    },
    {
      name: 'compressed body',
      method: 'POST',
      path: '/webhooks/reachfive',
      headers: { ...json, ...reachfive, 'content-encoding': 'gzip' },
      body: Buffer.from([0x1f, 0x8b, 0, 0]),
      code: 'unsupported_encoding',
      provider: 'reachfive',
    },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await check(t.baseUrl, t.baseUrl, c);
  });
});

describe('an ingress that cannot store', () => {
  it('answers 503 unavailable with Retry-After when the queue does not answer (no spool)', async () => {
    // Nothing listens on port 1: every enqueue times out, and the ingress spool is off by default.
    const t = await startTestIngress({ REDIS_URL: 'redis://127.0.0.1:1', ENQUEUE_TIMEOUT_MS: '100' });
    t.redis.on('error', () => undefined);
    t.queue.on('error', () => undefined);
    try {
      await check(t.baseUrl, t.baseUrl, {
        name: 'queue away',
        method: 'POST',
        path: '/webhooks/reachfive',
        headers: { ...json, ...reachfive },
        body: JSON.stringify({ id: 'never-stored' }),
        code: 'unavailable',
        expectHeaders: { 'retry-after': /^\d+$/ },
        provider: 'reachfive',
      });
    } finally {
      // Not t.close(): its queue clean-up would wait for a Redis that never comes.
      t.redis.disconnect();
      await t.ingress.close();
    }
  });

  it('answers 500 internal_error, without details, when the store fails unexpectedly', async () => {
    const config = testConfig();
    const logs = new LogCapture();
    const metrics = createMetrics({ defaultMetrics: false });
    const store: EventStore = {
      store: () => Promise.reject(new Error('a bug with a secret detail')),
      close: () => Promise.resolve(),
    } as unknown as EventStore;
    const app = createApp({ config, store, logger: createLogger('debug', logs), metrics, readiness: [] });
    const server: RunningServer = await serve(app, { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 1_000 });
    const baseUrl = `http://127.0.0.1:${server.port}`;
    try {
      await check(baseUrl, baseUrl, {
        name: 'store bug',
        method: 'POST',
        path: '/webhooks/reachfive',
        headers: { ...json, ...reachfive },
        body: JSON.stringify({ id: 'bug' }),
        code: 'internal_error',
        provider: 'reachfive',
      });
      expect(logs.text).toContain('unhandled error in request');
    } finally {
      await server.close();
    }
  });
});

describe('/admin JSON', () => {
  let p: AdminPipeline;
  beforeAll(async () => {
    p = await startAdminPipeline({ DATA_DIR: 'memory://' }, { loginLimit: { attempts: 1, windowSeconds: 60 } });
  });
  afterAll(async () => {
    await p?.close();
  });
  const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('answers every admin code in the same shape', async () => {
    const base = p.adminUrl.replace(/\/admin$/, '');
    await check(base, undefined, { name: 'no such event', method: 'GET', path: '/admin/api/events/persona:nope', headers: bearer, code: 'no_such_event' });
    await check(base, undefined, { name: 'no token', method: 'GET', path: '/admin/api/runs', code: 'unauthorized' });
    await check(base, undefined, {
      name: 'cross-origin replay',
      method: 'POST',
      path: '/admin/api/replay',
      headers: { ...bearer, ...json, origin: 'http://evil.example' },
      body: '{}',
      code: 'forbidden',
    });
    await check(base, undefined, {
      name: 'a charset body-parser refuses',
      method: 'POST',
      path: '/admin/api/replay',
      headers: { ...bearer, 'content-type': 'application/json; charset=latin1' },
      body: '{}',
      code: 'unsupported_charset',
    });
    await check(base, undefined, { name: 'unknown admin path', method: 'GET', path: '/admin/api/nothing', headers: bearer, code: 'not_found' });
    // One refused token (the limit here), then the next is locked out.
    const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    await check(base, undefined, { name: 'wrong token', method: 'POST', path: '/admin/login', headers: form, body: 'token=wrong-Guess-1', code: 'unauthorized' });
    await check(base, undefined, {
      name: 'locked out',
      method: 'POST',
      path: '/admin/login',
      headers: form,
      body: 'token=wrong-Guess-2',
      code: 'too_many_requests',
      expectHeaders: { 'retry-after': /^\d+$/ },
    });
  });
});

describe('the code list', () => {
  const req = { originalUrl: '/webhooks/reachfive', is: () => 'json' } as unknown as Request;

  it('maps the body errors no client can read an answer to', () => {
    // The client has gone before it could read this answer; the metric still records it.
    expect(answerForError(Object.assign(new Error('aborted'), { type: 'request.aborted' }), req)).toMatchObject({ status: 400, code: 'request_aborted' });
    answered.add('request_aborted');
  });

  it('is the metric reason set (plus other)', () => {
    expect([...REJECTION_REASONS].sort()).toEqual([...ERROR_CODES, 'other'].sort());
  });

  it('has every code answered above', () => {
    expect([...answered].sort()).toEqual([...ERROR_CODES].sort());
  });
});
