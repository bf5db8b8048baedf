import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configVariableNames, loadConfig } from '../../src/config/load-config.ts';
import { openApiDocument } from '../../src/ingress/openapi.ts';
import { normalize } from '../../src/normalizers/normalize.ts';
import { PROVIDERS } from '../../src/providers/registry.ts';
import type { RawEvent } from '../../src/queue/contract.ts';
import { sampleBody, signSample } from '../../src/samples/samples.ts';
import { sha256Hex } from '../../src/shared/crypto.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { FIXTURES_DIR, fixtures } from '../support/fixtures.ts';
import { LogCapture, startTestIngress, type TestIngress } from '../support/harness.ts';
import { CREDENTIALS, post } from '../support/signing.ts';

/*
 * What every provider definition must do, run for each one in the registry: a new provider passes
 * this suite or is not done. Signing here is the definition's own (the sample as its provider would
 * send it); test/ingress/independent-signatures.test.ts checks the schemes against other
 * implementations.
 */

let t: TestIngress;
beforeAll(async () => {
  t = await startTestIngress();
});
afterAll(async () => {
  await t.close();
});

async function stored(key: string): Promise<RawEvent | undefined> {
  const jobs = await t.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs.map((job) => job.data as RawEvent).find((data) => data.key === key);
}

function expectedKey(provider: (typeof PROVIDERS)[number], body: string, headers: Record<string, string>): string {
  return `${provider.id}:${provider.eventId(JSON.parse(body), headers) ?? sha256Hex(body)}`;
}

describe.each(PROVIDERS.map((provider) => ({ provider, id: provider.id })))('provider $id', ({ provider }) => {
  it('has a well-formed definition', () => {
    expect(provider.id).toMatch(/^[a-z][a-z0-9]*$/);
    expect(provider.name.trim()).not.toBe('');
    expect(provider.credential.variable).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(configVariableNames()).toContain(provider.credential.variable);
    // Credentials are never kept with the event.
    for (const header of provider.keptHeaders) expect(provider.auth.secretHeaders).not.toContain(header);
    for (const header of [...provider.keptHeaders, ...provider.auth.secretHeaders]) expect(header).toBe(header.toLowerCase());
    expect(provider.stuckAfter.defaultSeconds).toBeGreaterThanOrEqual(0);
    for (const text of [provider.docs.summary, provider.docs.authentication, provider.docs.eventKey, provider.docs.statuses]) {
      expect(text.trim()).not.toBe('');
    }
  });

  it('is switched on by its credential variable alone, with its stuck default', () => {
    const off = loadConfig({});
    expect(off.credentials[provider.id]).toBeUndefined();
    expect(off.alerts.stuckAfterSeconds[provider.id]).toBe(provider.stuckAfter.defaultSeconds);
    const on = loadConfig({ [provider.credential.variable]: `${provider.credential.example('a')}, ${provider.credential.example('b')}` });
    expect(on.credentials[provider.id]).toEqual([provider.credential.example('a'), provider.credential.example('b')]);
  });

  it('is documented in OpenAPI with its security schemes', () => {
    const document = openApiDocument() as { paths: Record<string, { post?: { security?: Record<string, unknown>[] } }>; components: { securitySchemes: Record<string, unknown> } };
    const operation = document.paths[`/webhooks/${provider.id}`]?.post;
    expect(operation).toBeDefined();
    const names = (operation?.security ?? []).flatMap((entry) => Object.keys(entry));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(document.components.securitySchemes).toHaveProperty(name);
  });

  it('never logs what carries its credentials', () => {
    const body = sampleBody(provider.id);
    const signed = signSample(provider.id, body, CREDENTIALS[provider.id][0]);
    const logs = new LogCapture();
    const logger = createLogger('info', logs);
    logger.info({ headers: signed.headers, query: signed.query, req: { headers: signed.headers } }, 'request');
    logger.flush();
    const secretValues = [
      ...provider.auth.secretHeaders.map((name) => signed.headers[name]),
      ...provider.auth.secretQuery.map((name) => signed.query[name]),
    ].filter((value): value is string => value !== undefined);
    expect(secretValues.length).toBeGreaterThan(0);
    return new Promise<void>((resolve) => {
      setTimeout(() => {
        expect(logs.text).toContain('request');
        for (const value of secretValues) expect(logs.text).not.toContain(value);
        resolve();
      }, 50);
    });
  });

  it('its sample: signed → 202 with its key → stored byte-exact → normalized; again → duplicate', async () => {
    const body = sampleBody(provider.id, { unique: true });
    const signed = signSample(provider.id, body, CREDENTIALS[provider.id][0]);
    const key = expectedKey(provider, body, signed.headers);
    const first = await post(t.baseUrl, provider.id, body, signed);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ status: 'accepted', id: key });
    const raw = await stored(key);
    expect(raw?.body).toBe(body);
    for (const name of Object.keys(raw?.headers ?? {})) expect(provider.keptHeaders).toContain(name);
    const event = normalize(raw!);
    expect(event.provider).toBe(provider.id);
    expect(event.id).toBe(key);
    expect(event.summary.startsWith(provider.name)).toBe(true);
    const again = await post(t.baseUrl, provider.id, body, signSample(provider.id, body, CREDENTIALS[provider.id][1]));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicate', id: key });
  });

  it('refuses its sample signed with a credential it was not given', async () => {
    const body = sampleBody(provider.id, { unique: true });
    const answer = await post(t.baseUrl, provider.id, body, signSample(provider.id, body, provider.credential.example('not-configured-0123456789')));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('unauthorized');
  });

  const cases = fixtures(provider.id).filter(({ body }) => !provider.connectionTest?.matches(JSON.parse(body), {}));
  it('has fixtures with reviewed expected events', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('fixture $name: signed → stored → normalized to its reviewed expected event', async ({ name, body }) => {
    const signed = signSample(provider.id, body, CREDENTIALS[provider.id][0]);
    const answer = await post(t.baseUrl, provider.id, body, signed);
    // An earlier test (or the sample above) may have sent the same body.
    expect([200, 202]).toContain(answer.status);
    const key = String(answer.body.id);
    expect(key).toBe(expectedKey(provider, body, signed.headers));
    const raw = await stored(key);
    expect(raw).toBeDefined();
    const expectedFile = join(FIXTURES_DIR, provider.id, `${name}.expected.json`);
    expect(existsSync(expectedFile)).toBe(true);
    const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as Record<string, unknown>;
    if ('throws' in expected) {
      expect(() => normalize(raw!)).toThrow(String(expected.throws));
      return;
    }
    // The reviewed events were made with another receivedAt, which is occurredAt where the payload has no time.
    const occurredAt = expected.occurredAt === expected.receivedAt ? raw!.receivedAt : expected.occurredAt;
    expect(normalize(raw!)).toStrictEqual({ ...expected, id: key, receivedAt: raw!.receivedAt, occurredAt });
  });

  const connectionTests = fixtures(provider.id).filter(({ body }) => provider.connectionTest?.matches(JSON.parse(body), {}));
  it.runIf(provider.connectionTest !== undefined)('answers its connection test 200 and queues nothing', async () => {
    expect(connectionTests.length).toBeGreaterThan(0);
    for (const { body } of connectionTests) {
      const before = await t.queue.count();
      const answer = await post(t.baseUrl, provider.id, body, signSample(provider.id, body, CREDENTIALS[provider.id][0]));
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('ok');
      expect(await t.queue.count()).toBe(before);
    }
  });
});
