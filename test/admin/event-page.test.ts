import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { createAdmin } from '../../src/admin/admin-router.ts';
import { escapeHtml } from '../../src/admin/html.ts';
import type { Db } from '../../src/db/db.ts';
import { serve } from '../../src/shared/http-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { sha256Hex } from '../../src/shared/crypto.ts';
import { fixture } from '../support/fixtures.ts';
import { waitFor } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { ADMIN_TOKEN, startAdminPipeline, type AdminPipeline } from './admin-pipeline.ts';

/** Two events of one Persona run: it started, then failed (and Slack refused the failure for good). */
const STARTED_KEY = 'persona:evt_LIFE_started';
const FAILED_KEY = 'persona:evt_PAGE_FAILED_0001';
const HOSTILE = `<img src=x onerror=alert(1)><script>alert("x")</script>&amp;`;
const LONG_NAME = 'N'.repeat(3_000);
/** A number JSON.parse would round: the raw body must show it as sent. */
const BIG_NUMBER = '12345678901234567890123';

let slack: SlackStandIn;
let p: AdminPipeline;

const startedBody = () => {
  const body = fixture('persona', 'variants/importer-pipeline-run.started');
  const id = (JSON.parse(body) as { data: { id: string } }).data.id;
  return { body, key: `persona:${id}` };
};

const failedBody = () =>
  fixture('persona', 'importer-pipeline-run.errored')
    .replace('evt_ABC123DEF456GHI789JKL012MNO345', 'evt_PAGE_FAILED_0001')
    .replace('"id": "mprtpr_ABC123DEF456"', '"id": "mprtpr_LIFE0001"')
    .replace('"created-at": "2024-01-15T11:05:15.732Z"', '"created-at": "2024-01-17T03:00:00.000Z"')
    .replace('"import-batch-002"', JSON.stringify(HOSTILE))
    .replace('"Customer Data Import"', JSON.stringify(LONG_NAME))
    .replace('"run-count": 2', `"run-count": ${BIG_NUMBER}`);

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  p = await startAdminPipeline({ DATA_DIR: 'memory://', SLACK_WEBHOOK_URL: slack.url });
  const started = startedBody();
  expect(started.key).toBe(STARTED_KEY);
  expect((await sendSigned(p.baseUrl, 'persona', started.body)).status).toBe(202);
  await waitFor(async () => (await p.db.query('select 1 from webhook_events')).rowCount === 1, 15_000, 'the started event');
  slack.answerNext({ status: 400, body: 'invalid_payload' });
  expect((await sendSigned(p.baseUrl, 'persona', failedBody())).status).toBe(202);
  await waitFor(async () => (await p.queues.slack.getFailed()).length === 1, 15_000, 'a Slack dead letter');
  await waitFor(async () => (await p.db.query('select 1 from webhook_events')).rowCount === 2, 15_000, 'the failed event');
});
afterAll(async () => {
  await p?.close();
  await slack?.stop();
});

const pageUrl = (key: string) => `${p.adminUrl}/events/${encodeURIComponent(key)}`;
const pagePath = (key: string) => `/admin/events/${encodeURIComponent(key)}`;

async function login(next?: string): Promise<{ cookie: string; location: string | null }> {
  const response = await fetch(`${p.adminUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN, ...(next === undefined ? {} : { next }) }),
  });
  expect(response.status).toBe(303);
  return { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '', location: response.headers.get('location') };
}

async function page(key: string, cookie: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(pageUrl(key), { headers: { cookie } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

describe('/admin/events/:key', () => {
  it('sends a browser without a session to the login form, and back to the event after it', async () => {
    const anonymous = await fetch(pageUrl(FAILED_KEY), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(303);
    const location = anonymous.headers.get('location') ?? '';
    expect(location).toBe(`/admin/login?next=${encodeURIComponent(pagePath(FAILED_KEY))}`);
    expect((await fetch(pageUrl(FAILED_KEY), { headers: { accept: 'application/json' } })).status).toBe(401);

    // The login form carries `next` on, and the login lands there.
    const form = await (await fetch(new URL(location, p.adminUrl))).text();
    expect(form).toContain(`name="next" value="${escapeHtml(pagePath(FAILED_KEY))}"`);
    const { cookie, location: landing } = await login(pagePath(FAILED_KEY));
    expect(landing).toBe(pagePath(FAILED_KEY));
    const already = await fetch(`${p.adminUrl}/login?next=${encodeURIComponent(pagePath(FAILED_KEY))}`, { redirect: 'manual', headers: { cookie } });
    expect(already.headers.get('location')).toBe(pagePath(FAILED_KEY));
  });

  it('follows no `next` but a path of the status page', async () => {
    for (const next of ['//evil.example/admin/', 'https://evil.example/admin/x', '/admin/../x', '/admin/%2e%2e/x', '/admin\\x', '/other', '/admin/x?y=1']) {
      expect((await login(next)).location, next).toBe('/admin');
    }
  });

  it('answers 404, on the admin layout, for a key no event has', async () => {
    const { cookie } = await login();
    const missing = await page('persona:evt_<nope>', cookie);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(missing.text).toContain('No event has the key');
    expect(missing.text).toContain('persona:evt_&lt;nope&gt;');
    expect(missing.text).toContain('href="/admin"');
  });

  it("shows the event, its alert notes, its run's other event, its incident, its raw body and its dead letter", async () => {
    const { cookie } = await login();
    const { status, text, headers } = await page(FAILED_KEY, cookie);
    expect(status).toBe(200);
    expect(headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(text).not.toMatch(/<script/i);

    expect(text).toContain(`<p class="key" id="event-key">${FAILED_KEY}</p>`);
    expect(text).toMatch(/<td id="event-summary">Persona import &#39;N{3000}&#39; failed: 150 of 150 rows errored<\/td>/);
    expect(text).toContain('150 of 150 rows errored');
    expect(text).toMatch(/total 150 · succeeded 0 · failed 150/);
    // The incident bookkeeping's note, and the open incident of the series (the pipeline).
    expect(text).toMatch(/<li data-note="failing">First failure of N{3000} <span class="hint">\(incident \d+\)/);
    expect(text).toMatch(/<section id="incidents">[\s\S]*mprtp_XYZ789ABC123[\s\S]*status-failed">open</);
    // The run: its latest status and both its events, the other one linked.
    expect(text).toMatch(/Latest status <span class="status status-failed">failed<\/span>/);
    expect(text).toContain(`<a href="${pagePath(STARTED_KEY)}">${STARTED_KEY}</a>`);
    expect(text.indexOf(`data-event-key="${STARTED_KEY}"`)).toBeLessThan(text.indexOf(`data-event-key="${FAILED_KEY}" aria-current`));
    // The raw body as sent: from the ingest job, every token kept.
    expect(text).toContain('from the ingest job (as received)');
    expect(text).toContain(`&quot;run-count&quot;: ${BIG_NUMBER}`);
    expect(text).toMatch(/<pre class="raw">\{\n {2}&quot;data&quot;: \{/);
    // Slack refused it for good: the delivery is failed, a dead letter with its Replay button.
    expect(text).toMatch(/<tr data-destination="slack" data-state="failed">[\s\S]*?invalid_payload/);
    expect(text).toMatch(/<tr data-destination="database" data-state="none">[\s\S]*?written in place/);
    const dead = /<div id="dead-letters">[\s\S]*?<\/div>/.exec(text)?.[0] ?? '';
    expect(dead).toContain('invalid_payload');
    expect(dead).toContain(`aria-label="Replay slack delivery of ${FAILED_KEY}"`);
    expect(dead).toMatch(/name="_csrf" value="[\w-]{20,}"/);
    expect(dead).toContain(`name="next" value="${pagePath(FAILED_KEY)}"`);
  });

  it('escapes every value from the payload, and lets long values wrap', async () => {
    const { cookie } = await login();
    const { text } = await page(FAILED_KEY, cookie);
    expect(text).not.toContain('<img');
    expect(text).not.toContain('<script');
    expect(text).toContain(escapeHtml(HOSTILE));
    // The raw body is escaped as well (there the value sits JSON-escaped, inside a string).
    expect(text).toContain(escapeHtml(JSON.stringify(HOSTILE)));
    // The 3,000-character name sits in a fixed-layout table; every value wraps anywhere.
    expect(text).toMatch(new RegExp(`<table class="fields">[\\s\\S]*<td>${LONG_NAME}<br><span class="key">mprtp_XYZ789ABC123</span>`));
    expect(text).toMatch(/body \{ overflow-wrap: anywhere; \}/);
    expect(text).toMatch(/table\.fields \{ table-layout: fixed; \}/);
    expect(text).toMatch(/pre \{ white-space: pre-wrap; overflow-wrap: anywhere;/);
  });

  it('is linked from the recent events, the runs and the dead letters of the status page', async () => {
    const { cookie } = await login();
    const text = await (await fetch(p.adminUrl, { headers: { cookie } })).text();
    const link = `<a href="${pagePath(FAILED_KEY)}">`;
    expect(pagePath(FAILED_KEY)).toContain('persona%3Aevt_PAGE_FAILED_0001');
    expect(/<section id="events">[\s\S]*?<\/section>/.exec(text)?.[0]).toContain(`${link}${FAILED_KEY}</a>`);
    expect(/<section id="runs">[\s\S]*?<\/section>/.exec(text)?.[0]).toContain(link);
    expect(/<section id="dead-letters">[\s\S]*?<\/section>/.exec(text)?.[0]).toContain(`${link}${FAILED_KEY}</a>`);
    expect(/<section id="events">[\s\S]*?<\/section>/.exec(text)?.[0]).toContain(`<a href="${pagePath(STARTED_KEY)}">`);
  });

  it('replays the dead letter from the event page and comes back to it', async () => {
    const { cookie } = await login();
    const before = (await page(FAILED_KEY, cookie)).text;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(before)?.[1] ?? '';
    const job = /<input type="hidden" name="job" value="([^"]+)">/.exec(before)?.[1] ?? '';
    expect(job).toMatch(/^persona-[\w-]+-slack$/);
    const response = await fetch(`${p.adminUrl}/replay`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: new URL(p.adminUrl).origin },
      body: new URLSearchParams({ _csrf: csrf, queue: 'deliver-slack', job, next: pagePath(FAILED_KEY) }),
    });
    expect(response.status).toBe(303);
    // The redirect names the replayed job, so the page can say what became of it.
    expect(response.headers.get('location')).toBe(`${pagePath(FAILED_KEY)}?replayed=1&skipped=0&watch=${encodeURIComponent(`deliver-slack/${job}`)}`);
    await waitFor(async () => slack.delivered.length === 1, 15_000, 'the replayed message');

    const after = await waitFor(async () => {
      const text = (await fetch(new URL(response.headers.get('location') ?? '', p.adminUrl), { headers: { cookie } }).then((r) => r.text()));
      return /data-destination="slack" data-state="completed"/.test(text) && text;
    }, 10_000, 'the completed delivery');
    expect(after).toMatch(/Replayed 1 dead letter/);
    expect(after).toMatch(/<li data-queue="deliver-slack" data-job="[^"]+" data-state="completed">/);
    expect(after).toMatch(/<tr data-destination="slack" data-state="completed">[\s\S]*?<td>posted<\/td>/);
    expect(after).toContain('No dead letters for this event.');
  });

  it('shows a page for the run\'s first event too, pointing at the latest', async () => {
    const { cookie } = await login();
    const { status, text } = await page(STARTED_KEY, cookie);
    expect(status).toBe(200);
    expect(text).toContain(`event <a href="${pagePath(FAILED_KEY)}">${FAILED_KEY}</a>`);
    expect(text).not.toContain('<li data-note=');
    expect(text).toContain('No dead letters for this event.');
  });

  it('shows the raw body from the database once the ingest job is no longer known', async () => {
    const { cookie } = await login();
    // Past the deduplication window BullMQ forgets which ingest job the key had.
    expect(await p.redis.del(`${p.queues.ingest.keys.de}:${sha256Hex(FAILED_KEY)}`)).toBe(1);
    const { status, text } = await page(FAILED_KEY, cookie);
    expect(status).toBe(200);
    expect(text).toContain('from the database, byte for byte as received');
    expect(text).toContain(`&quot;run-count&quot;: ${BIG_NUMBER}`);
    expect(text).toContain(escapeHtml(JSON.stringify(HOSTILE)));
    expect(text).not.toContain('Ingest job');
    expect(text).toContain('the delivery jobs cannot be looked up');
  });

  it('answers 503, saying why, when the database cannot be read', async () => {
    const failing = { query: () => Promise.reject(new Error('connection refused')) } as unknown as Db;
    const admin = createAdmin({ token: ADMIN_TOKEN, db: failing, redisUrl: p.config.redisUrl, queuePrefix: p.config.queuePrefix, logger: createLogger('silent') });
    const server = await serve(express().use('/admin', admin.router), { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 500 });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}${pagePath(FAILED_KEY)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(await response.text()).toContain('Could not read the event (database): connection refused');
    } finally {
      await server.close();
      await admin.close();
    }
  });
});
