import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS, type ProviderId } from '../../src/providers/registry.ts';
import type { RawEvent } from '../../src/queue/contract.ts';
import { sha256Hex } from '../../src/shared/crypto.ts';
import { fixture, fixtures } from '../support/fixtures.ts';
import { startTestIngress, type TestIngress } from '../support/harness.ts';
import { CREDENTIALS, post, sendSigned, sign } from '../support/signing.ts';

let t: TestIngress;
beforeAll(async () => {
  t = await startTestIngress();
});
afterAll(async () => {
  await t.close();
});

async function storedEvent(key: string): Promise<RawEvent | undefined> {
  const jobs = await t.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs.map((job) => job.data as RawEvent).find((data) => data.key === key);
}

const EXPECTED_KEYS: Record<string, string> = {
  'persona/importer-pipeline-run.completed': 'persona:evt_7Hn2pLs9QaW1Xc4Vb8Nm0Kj2',
  'persona/importer-pipeline-run.errored': 'persona:evt_ABC123DEF456GHI789JKL012MNO345',
  'plextera/workflow.run.failed': 'plextera:evt_01JY7MWFFAIL00000000001',
  'plextera/document-insights.extraction.failed': 'plextera:evt_01JY7MFAILED000000000001',
  'primer/workflow-run-failed': 'primer:WORKFLOW_RUN.FAILED:bbb1c3cc-805d-4d97-826e-ef8d4cc3d2a2',
  'reachfive/export.failure': 'reachfive:AXR4pQ7vL1nYq9Wr5am',
  'reachfive/import.success-with-failures': 'reachfive:AXVLj7Rq2y8Qkpxt',
};

describe('every provider sample, signed the way the provider signs it', () => {
  const cases = PROVIDER_IDS.flatMap((provider) =>
    fixtures(provider)
      .filter(({ name }) => name !== 'connection-test')
      .map(({ name, body }) => ({ provider, name, body })),
  );

  it.each(cases)('$provider/$name is answered 202 with its event key and lands in the queue byte-exact', async ({ provider, name, body }) => {
    const answer = await sendSigned(t.baseUrl, provider, body);
    expect(answer.status).toBe(202);
    const expectedKey = EXPECTED_KEYS[`${provider}/${name}`] ?? `${provider}:${sha256Hex(body)}`;
    expect(answer.body).toEqual({ status: 'accepted', id: expectedKey });

    const stored = await storedEvent(expectedKey);
    expect(stored?.provider).toBe(provider);
    expect(stored?.body).toBe(body);
    expect(Date.parse(stored?.receivedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('event keys', () => {
  it('falls back to the body hash when the id field is missing', async () => {
    const body = JSON.stringify({ status: 'SUCCESS', type: 'import', total_failed: 0, note: 'no id here' });
    const answer = await sendSigned(t.baseUrl, 'reachfive', body);
    expect(answer.body.id).toBe(`reachfive:${sha256Hex(body)}`);
  });

  it('turns a numeric ReachFive job id into a string key', async () => {
    const body = JSON.stringify({ id: 4242, type: 'export', status: 'FAILURE' });
    expect((await sendSigned(t.baseUrl, 'reachfive', body)).body.id).toBe('reachfive:4242');
  });

  it('keeps the Plextera headers worth keeping with the event, and never the signature', async () => {
    const body = JSON.stringify({ eventId: 'evt_headers_kept', eventType: 'workflow.run.completed', data: { runId: 'r1' } });
    const signed = sign('plextera', body);
    await post(t.baseUrl, 'plextera', body, signed, { 'x-plextera-event-id': 'evt_headers_kept', 'x-plextera-delivery-id': 'dlv_1' });
    const stored = await storedEvent('plextera:evt_headers_kept');
    expect(stored?.headers).toEqual({ 'x-plextera-event-id': 'evt_headers_kept', 'x-plextera-delivery-id': 'dlv_1' });
  });
});

describe('duplicates', () => {
  it('answers the same event again 200 duplicate and stores one job', async () => {
    const body = fixture('persona', 'importer-pipeline-run.errored').replace('evt_ABC123', 'evt_DUP123');
    const first = await sendSigned(t.baseUrl, 'persona', body);
    const again = await sendSigned(t.baseUrl, 'persona', body, { credential: CREDENTIALS.persona[1] });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicate', id: first.body.id });
    const jobs = await t.queue.getJobs(['waiting']);
    expect(jobs.filter((job) => (job.data as RawEvent).key === first.body.id)).toHaveLength(1);
  });

  it('gives exactly one 202 to many copies sent at the same instant', async () => {
    const body = JSON.stringify({ eventId: 'evt_concurrent_copies', eventType: 'workflow.run.failed', data: { runId: 'r9' } });
    const answers = await Promise.all(Array.from({ length: 25 }, () => sendSigned(t.baseUrl, 'plextera', body)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.status === 'duplicate')).toHaveLength(24);
    const jobs = await t.queue.getJobs(['waiting']);
    expect(jobs.filter((job) => (job.data as RawEvent).key === 'plextera:evt_concurrent_copies')).toHaveLength(1);
  });

  it('treats a PersonaClick body seen again as a duplicate (body-hash key)', async () => {
    const body = '{"status":"success","segment_id":"77","operation":"segment_recalculated_dynamic"}';
    expect((await sendSigned(t.baseUrl, 'personaclick', body)).status).toBe(202);
    expect((await sendSigned(t.baseUrl, 'personaclick', body)).status).toBe(200);
  });
});

describe('Primer connection test', () => {
  it('is answered 200 and nothing is queued', async () => {
    const before = await t.queue.getJobCounts('waiting');
    const answer = await sendSigned(t.baseUrl, 'primer', fixture('primer', 'connection-test'));
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ok');
    expect(await t.queue.getJobCounts('waiting')).toEqual(before);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz while Redis is up', async () => {
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
  });

  it('serves Prometheus metrics counting requests by provider and status, events by outcome', async () => {
    const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(text).toMatch(/hookline_webhook_requests_total\{provider="persona",status="202"\} \d+/);
    expect(text).toMatch(/hookline_webhook_events_total\{provider="persona",outcome="accepted"\} \d+/);
    expect(text).toMatch(/hookline_webhook_events_total\{provider="persona",outcome="duplicate"\} \d+/);
  });
});

describe('logs', () => {
  it('name the provider and event key, and hold no secret, token or signature', async () => {
    const body = fixture('persona', 'importer-pipeline-run.completed');
    const signed = sign('persona', body);
    await post(t.baseUrl, 'persona', body, signed);
    await sendSigned(t.baseUrl, 'personaclick', '{"status":"error","operation":"import_products","item_id":"9"}');
    await sendSigned(t.baseUrl, 'reachfive', '{"id":"log-check","status":"SUCCESS"}');
    await sendSigned(t.baseUrl, 'primer', '{"eventType":"WORKFLOW_RUN.FAILED","run":{"id":"log-check"}}');
    const text = t.logs.text;
    expect(text).toContain('"eventKey":"persona:evt_7Hn2pLs9QaW1Xc4Vb8Nm0Kj2"');
    const secrets = [...Object.values(CREDENTIALS).flat(), signed.headers['persona-signature'] ?? 'x'];
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/v1=[0-9a-f]{64}/);
    expect(text).not.toContain('token=');
  });
});
