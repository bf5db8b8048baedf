import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/ingress/create-app.ts';
import { serve } from '../../src/shared/http-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { fixture } from '../support/fixtures.ts';
import { waitFor } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { ADMIN_TOKEN, startAdminPipeline, type AdminPipeline } from './admin-pipeline.ts';

let slack: SlackStandIn;
let p: AdminPipeline;

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  p = await startAdminPipeline({ DATA_DIR: 'memory://', SLACK_WEBHOOK_URL: slack.url });
  slack.answerNext({ status: 400, body: 'invalid_payload' });
  expect((await sendSigned(p.baseUrl, 'primer', fixture('primer', 'workflow-run-failed'))).status).toBe(202);
  await waitFor(async () => (await p.queues.slack.getFailed()).length === 1, 15_000, 'a Slack dead letter');
  await waitFor(async () => (await p.db.query('select 1 from webhook_events')).rowCount === 1, 15_000, 'the row');
});
afterAll(async () => {
  await p?.close();
  await slack?.stop();
});

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function login(): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${p.adminUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN }),
  });
  expect(response.status).toBe(303);
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  const cookie = setCookie.split(';')[0] ?? '';
  const page = await (await fetch(p.adminUrl, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return { cookie, csrf };
}

describe('/admin', () => {
  it('is not there at all without ADMIN_TOKEN (404)', async () => {
    const app = createApp({ config: p.config, logger: createLogger('silent'), metrics: p.metrics, readiness: [] });
    const server = await serve(app, { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 500 });
    try {
      expect((await fetch(`http://127.0.0.1:${server.port}/admin`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('sends a browser without a session to the login form, and refuses the API', async () => {
    const page = await fetch(p.adminUrl, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');
    expect((await fetch(`${p.adminUrl}/api/events`)).status).toBe(401);
    expect((await fetch(`${p.adminUrl}/api/events`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await fetch(`${p.adminUrl}/queues/`, { redirect: 'manual', headers: { accept: 'text/html' } })).status).toBe(303);
  });

  it('refuses a wrong token at the login form', async () => {
    const response = await fetch(`${p.adminUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: `${ADMIN_TOKEN}x` }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('serves events, runs and dead letters as JSON to a Bearer token', async () => {
    const events = (await (await fetch(`${p.adminUrl}/api/events?provider=primer`, { headers: bearer })).json()) as { events: Array<{ id: string }> };
    expect(events.events.map((event) => event.id)).toEqual(['primer:WORKFLOW_RUN.FAILED:bbb1c3cc-805d-4d97-826e-ef8d4cc3d2a2']);
    const runs = (await (await fetch(`${p.adminUrl}/api/runs?status=failed`, { headers: bearer })).json()) as { runs: Array<{ status: string }> };
    expect(runs.runs).toHaveLength(1);
    const letters = (await (await fetch(`${p.adminUrl}/api/dead-letters?sink=slack`, { headers: bearer })).json()) as {
      deadLetters: Array<{ queue: string; error: string }>;
    };
    expect(letters.deadLetters).toEqual([expect.objectContaining({ queue: 'deliver-slack', error: expect.stringMatching(/invalid_payload/) })]);
    const bad = await fetch(`${p.adminUrl}/api/events?provider=nope`, { headers: bearer });
    expect(bad.status).toBe(400);
    const dryRun = await fetch(`${p.adminUrl}/api/replay`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'primer', dryRun: true }),
    });
    expect(((await dryRun.json()) as { replayed: unknown[] }).replayed).toHaveLength(1);
    expect(await p.queues.slack.getFailedCount()).toBe(1);
  });

  it('takes the API only with a Bearer token, not with the browser cookie', async () => {
    const { cookie } = await login();
    expect((await fetch(`${p.adminUrl}/api/events`, { headers: { cookie } })).status).toBe(401);
  });

  it('refuses a replay without the form token, or from another origin', async () => {
    const { cookie, csrf } = await login();
    const [job] = await p.queues.slack.getFailed();
    const form = { queue: 'deliver-slack', job: job?.id ?? '' };
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${p.adminUrl}/replay`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body),
      });
    expect((await post(form)).status).toBe(403);
    expect((await post({ ...form, _csrf: 'forged' })).status).toBe(403);
    expect((await post({ ...form, _csrf: csrf }, { origin: 'http://evil.example' })).status).toBe(403);
    expect(await p.queues.slack.getFailedCount()).toBe(1);
    expect(p.logs.text).not.toContain(ADMIN_TOKEN);
  });

  it('escapes every value and runs no script on its pages', async () => {
    const { cookie } = await login();
    const page = await fetch(p.adminUrl, { headers: { cookie } });
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const text = await page.text();
    expect(text).not.toMatch(/<script/i);
    expect(text).toContain('PRIMER_PAYMENTS');
  });

  it('replays a dead letter from the form, and the delivery goes through', async () => {
    const { cookie, csrf } = await login();
    const [job] = await p.queues.slack.getFailed();
    const response = await fetch(`${p.adminUrl}/replay`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: new URL(p.adminUrl).origin },
      body: new URLSearchParams({ _csrf: csrf, queue: 'deliver-slack', job: job?.id ?? '' }),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/replayed=1/);
    await waitFor(async () => slack.delivered.length === 1, 15_000, 'the replayed message');
    expect(await p.queues.slack.getFailedCount()).toBe(0);
  });
});
