import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderId } from '../../src/providers/registry.ts';
import { hmacSha256 } from '../../src/shared/crypto.ts';
import { fixture } from '../support/fixtures.ts';
import { startTestIngress, type TestIngress } from '../support/harness.ts';
import { CREDENTIALS, post, sendSigned, sign } from '../support/signing.ts';

let t: TestIngress;
beforeAll(async () => {
  t = await startTestIngress({ MAX_BODY_BYTES: '4096' });
});
afterAll(async () => {
  await t.close();
});

const now = () => Math.floor(Date.now() / 1000);
const PERSONA = fixture('persona', 'importer-pipeline-run.errored');
const PLEXTERA = fixture('plextera', 'workflow.run.failed');
const PRIMER = fixture('primer', 'workflow-run-failed');
const REACHFIVE = fixture('reachfive', 'export.failure');
const PERSONACLICK = fixture('personaclick', 'import_products.error');

function hex(secret: string, t0: number, body: string): string {
  return hmacSha256(secret, `${t0}.${body}`).toString('hex');
}

async function expectUnauthorized(answer: Promise<{ status: number; body: Record<string, unknown> }>): Promise<void> {
  const { status, body } = await answer;
  expect(status).toBe(401);
  expect(body.error).toBe('unauthorized');
}

describe.each([
  ['persona', 'persona-signature', PERSONA, CREDENTIALS.persona],
  ['plextera', 'x-plextera-signature', PLEXTERA, CREDENTIALS.plextera],
] as const)('%s (t=,v1= HMAC over "<t>.<body>")', (provider, header, body, [current, old]) => {
  it('accepts a signature by the second secret of a rotation', async () => {
    const fresh = body.replace('evt_', 'evt_rot');
    expect((await sendSigned(t.baseUrl, provider, fresh, { credential: old })).status).toBe(202);
  });
  it('accepts two space-separated sets when either matches', async () => {
    const fresh = body.replace('evt_', 'evt_two');
    const value = `t=${now()},v1=${hex('unknown-secret', now(), fresh)} t=${now()},v1=${hex(current, now(), fresh)}`;
    expect((await post(t.baseUrl, provider, fresh, { headers: { [header]: value }, query: {} })).status).toBe(202);
  });
  it('refuses a missing header', () => expectUnauthorized(post(t.baseUrl, provider, body)));
  it('refuses a malformed header', () =>
    expectUnauthorized(post(t.baseUrl, provider, body, { headers: { [header]: 'sha256=abc' }, query: {} })));
  it('refuses a wrong secret', () => expectUnauthorized(sendSigned(t.baseUrl, provider, body, { credential: 'not-the-secret' })));
  it('refuses a tampered body', async () => {
    const signed = sign(provider, body);
    await expectUnauthorized(post(t.baseUrl, provider, body.replace('FAILED', 'COMPLETED').replace('errored', 'completed'), signed));
  });
  it('refuses a stale timestamp', () => expectUnauthorized(sendSigned(t.baseUrl, provider, body, { nowSeconds: now() - 301 })));
  it('refuses a timestamp too far in the future', () =>
    expectUnauthorized(sendSigned(t.baseUrl, provider, body, { nowSeconds: now() + 301 })));
  it('refuses a valid signature whose timestamp was altered', async () => {
    const signature = hex(current, now() - 1000, body);
    await expectUnauthorized(post(t.baseUrl, provider, body, { headers: { [header]: `t=${now()},v1=${signature}` }, query: {} }));
  });
});

describe('primer (base64 HMAC of the body, primary/secondary headers, signedAt)', () => {
  const b64 = (secret: string, body: string) => hmacSha256(secret, body).toString('base64');
  it('accepts the secondary header after a rotation', async () => {
    const body = PRIMER.replace('bbb1c3cc', 'rot1c3cc');
    const headers = { 'x-signature-primary': b64('retired', body), 'x-signature-secondary': b64(CREDENTIALS.primer[1], body) };
    expect((await post(t.baseUrl, 'primer', body, { headers, query: {} })).status).toBe(202);
  });
  it('accepts a fresh signedAt, as a string or a number', async () => {
    for (const signedAt of [JSON.stringify(String(now())), String(now())]) {
      const body = `{"eventType":"WORKFLOW_RUN.FAILED","signedAt":${signedAt},"run":{"id":"run-${signedAt.length}"}}`;
      expect((await sendSigned(t.baseUrl, 'primer', body)).status).toBe(202);
    }
  });
  it('refuses a stale signedAt', async () => {
    const body = `{"eventType":"WORKFLOW_RUN.FAILED","signedAt":"${now() - 3600}","run":{"id":"stale"}}`;
    await expectUnauthorized(sendSigned(t.baseUrl, 'primer', body));
  });
  it('refuses a future signedAt', async () => {
    const body = `{"eventType":"WORKFLOW_RUN.FAILED","signedAt":"${now() + 3600}","run":{"id":"future"}}`;
    await expectUnauthorized(sendSigned(t.baseUrl, 'primer', body));
  });
  it('refuses a missing signature', () => expectUnauthorized(post(t.baseUrl, 'primer', PRIMER)));
  it('refuses a wrong secret', () => expectUnauthorized(sendSigned(t.baseUrl, 'primer', PRIMER, { credential: 'nope' })));
  it('refuses a tampered body', async () => {
    const signed = sign('primer', PRIMER);
    await expectUnauthorized(post(t.baseUrl, 'primer', PRIMER.replace('Payment ID not found.', 'All good.'), signed));
  });
  it('refuses an unsigned connection test', () => expectUnauthorized(post(t.baseUrl, 'primer', fixture('primer', 'connection-test'))));
});

describe('reachfive (static Authorization)', () => {
  it('accepts either configured value', async () => {
    const body = REACHFIVE.replace('AXR4pQ7v', 'AXR4rot');
    expect((await sendSigned(t.baseUrl, 'reachfive', body, { credential: CREDENTIALS.reachfive[1] })).status).toBe(202);
  });
  it('refuses a missing header', () => expectUnauthorized(post(t.baseUrl, 'reachfive', REACHFIVE)));
  it('refuses a wrong value', () => expectUnauthorized(sendSigned(t.baseUrl, 'reachfive', REACHFIVE, { credential: 'Bearer wrong' })));
  it('refuses a prefix of the right value', () =>
    expectUnauthorized(sendSigned(t.baseUrl, 'reachfive', REACHFIVE, { credential: CREDENTIALS.reachfive[0].slice(0, -1) })));
});

describe('personaclick (query token)', () => {
  it('accepts the older token of a rotation', async () => {
    expect((await sendSigned(t.baseUrl, 'personaclick', PERSONACLICK.replace('100500', '100501'), { credential: CREDENTIALS.personaclick[1] })).status).toBe(202);
  });
  it('refuses a missing token', () => expectUnauthorized(post(t.baseUrl, 'personaclick', PERSONACLICK)));
  it('refuses a wrong token', () => expectUnauthorized(sendSigned(t.baseUrl, 'personaclick', PERSONACLICK, { credential: 'wrong' })));
  it('refuses a token sent as a header instead', () =>
    expectUnauthorized(post(t.baseUrl, 'personaclick', PERSONACLICK, { headers: { token: CREDENTIALS.personaclick[0] }, query: {} })));
});

describe('bad input', () => {
  it.each(['persona', 'primer', 'personaclick'] as ProviderId[])('answers 400 invalid_json for a signed non-JSON body (%s)', async (provider) => {
    const answer = await sendSigned(t.baseUrl, provider, '{"data": not json');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_json');
  });

  it('answers 400 invalid_json for a signed empty body', async () => {
    expect((await sendSigned(t.baseUrl, 'reachfive', '')).body.error).toBe('invalid_json');
  });

  it('checks the signature before the JSON: an unsigned non-JSON body is 401', async () => {
    expect((await post(t.baseUrl, 'persona', 'not json')).status).toBe(401);
  });

  it('answers 413 payload_too_large above MAX_BODY_BYTES, before authenticating', async () => {
    const big = JSON.stringify({ id: 'big', padding: 'x'.repeat(5000) });
    const answer = await sendSigned(t.baseUrl, 'reachfive', big);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('payload_too_large');
  });

  it('answers 413 for an oversized chunked body with no Content-Length', async () => {
    const chunks = (async function* () {
      for (let i = 0; i < 10; i++) yield Buffer.from('x'.repeat(1000));
    })();
    const signed = sign('reachfive', '');
    const response = await fetch(`${t.baseUrl}/webhooks/reachfive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed.headers },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('accepts a body exactly at the limit', async () => {
    const base = JSON.stringify({ id: 'at-limit', padding: '' });
    const body = JSON.stringify({ id: 'at-limit', padding: 'x'.repeat(4096 - base.length) });
    expect(Buffer.byteLength(body)).toBe(4096);
    expect((await sendSigned(t.baseUrl, 'reachfive', body)).status).toBe(202);
  });

  it('answers 404 not_found for an unknown provider', async () => {
    const answer = await post(t.baseUrl, 'acme', '{}');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: 'not_found', message: expect.any(String) });
  });

  it('answers 415 for a compressed body rather than inflating it', async () => {
    const answer = await post(t.baseUrl, 'reachfive', Buffer.from([0x1f, 0x8b, 0, 0]), sign('reachfive', ''), { 'content-encoding': 'gzip' });
    expect(answer.status).toBe(415);
  });

  it('answers 405 to a GET on a webhook endpoint and 404 elsewhere', async () => {
    expect((await fetch(`${t.baseUrl}/webhooks/persona`)).status).toBe(405);
    expect((await fetch(`${t.baseUrl}/nothing-here`)).status).toBe(404);
  });

  it('removes __proto__ keys instead of letting them reach anything', async () => {
    const body = '{"id":"proto-check","status":"SUCCESS","__proto__":{"polluted":true}}';
    expect((await sendSigned(t.baseUrl, 'reachfive', body)).status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('a provider with no credentials configured', () => {
  it('is off: 404, never open', async () => {
    const closed = await startTestIngress({ PERSONA_WEBHOOK_SECRET: '' });
    try {
      const answer = await sendSigned(closed.baseUrl, 'persona', PERSONA);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: 'not_found', message: expect.any(String) });
    } finally {
      await closed.close();
    }
  });
});
