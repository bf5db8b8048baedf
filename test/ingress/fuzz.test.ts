import { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, PROVIDER_IDS, type ProviderId } from '../../src/providers/registry.ts';
import { sampleBody } from '../../src/samples/samples.ts';
import { startTestIngress, type TestIngress } from '../support/harness.ts';
import { CREDENTIALS, post, sign } from '../support/signing.ts';

/**
 * Property-based fuzzing of every webhook endpoint with random and mutated bodies, headers and raw
 * requests. Whatever arrives: never a 5xx (Redis is up here, so not even 503), never a crash, and
 * the heap no larger afterwards than before.
 */
let t: TestIngress;
let requests = 0;
beforeAll(async () => {
  // Above the largest sample (GitHub's workflow_run, ~22 KiB), well below the 1 MiB default.
  t = await startTestIngress({ MAX_BODY_BYTES: '65536', LOG_LEVEL: 'warn' });
});
afterAll(async () => {
  console.log(`[fuzz] ${requests} requests sent`);
  await t.close();
});

/** Each provider's sample, as its definition gives it. */
const SAMPLES = Object.fromEntries(PROVIDERS.map((p) => [p.id, sampleBody(p.id)])) as Record<ProviderId, string>;

const SIGNATURE_HEADERS = [...new Set(PROVIDERS.flatMap((p) => p.auth.secretHeaders))];
/** Headers fetch refuses to set or that would make the request itself malformed. */
const FORBIDDEN = new Set(['content-length', 'host', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);

const provider = fc.constantFrom(...PROVIDER_IDS);
const headerName = fc.oneof(
  fc.constantFrom(...SIGNATURE_HEADERS, 'content-type', 'content-encoding', 'x-plextera-event-id'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
).filter((name) => !FORBIDDEN.has(name));
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
  fc.constantFrom('t=1,v1=00', 't=,v1=', 'Bearer ', 'Basic =', 'gzip', 'application/json; charset=utf-16', 'identity'),
).map((value) => value.trim());
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 6 });

/** A sample body with bytes flipped, cut, repeated or replaced. */
function mutated(body: string) {
  return fc.oneof(
    fc.tuple(fc.nat(body.length), fc.nat(body.length), fc.string({ maxLength: 20 })).map(([a, b, s]) => body.slice(0, Math.min(a, b)) + s + body.slice(Math.max(a, b))),
    fc.nat(body.length).map((n) => body.slice(0, n)),
    fc.constantFrom(`{"__proto__":{"polluted":true},"id":"p1"}`, `{"constructor":{"prototype":{"polluted":true}},"id":"p2"}`),
    fc.constantFrom('[', '{"a":', 'null', '""', '0', '[]', '{}', '\u0000', '\ufeff{}', `${'['.repeat(5_000)}${']'.repeat(5_000)}`),
  );
}

const anyBody = fc.oneof(
  provider.chain((p) => mutated(SAMPLES[p])),
  fc.json({ depthSize: 'medium' }),
  fc.string({ maxLength: 2_000 }),
  fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
);

const ALLOWED_UNSIGNED = [400, 401, 404, 405, 413, 415];

function record(status: number): number {
  requests++;
  return status;
}

describe('fuzzing every webhook endpoint', () => {
  it('random bodies with random or mangled credentials: refused with a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(provider, anyBody, headers, fc.option(fc.string({ maxLength: 40 })), async (p, body, extra, token) => {
        const answer = await post(t.baseUrl, p, body, { headers: {}, query: token === null ? {} : { token } }, extra);
        expect(ALLOWED_UNSIGNED).toContain(record(answer.status));
      }),
      { numRuns: 250 },
    );
  });

  it('random and mutated bodies correctly signed: stored, or refused as invalid JSON, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(provider, anyBody, fc.boolean(), async (p, body, rotated) => {
        const text = Buffer.isBuffer(body) ? body.toString('latin1') : body;
        const credential = CREDENTIALS[p][rotated ? 1 : 0];
        const answer = await post(t.baseUrl, p, text, sign(p, text, { credential }));
        // 401 only where the body itself carries a signed timestamp (Primer's signedAt) that is stale.
        expect([200, 202, 400, ...(p === 'primer' ? [401] : [])]).toContain(record(answer.status));
      }),
      { numRuns: 250 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('raw, mutated HTTP requests: answered 4xx or closed, never a 5xx', async () => {
    const port = new URL(t.baseUrl).port;
    const valid = (p: ProviderId, body: string) =>
      `POST /webhooks/${p}?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nAuthorization: ${CREDENTIALS.reachfive[0]}\r\n\r\n${body}`;
    const rawRequest = provider.chain((p) =>
      fc.oneof(
        fc.tuple(fc.nat(400), fc.string({ maxLength: 30 })).map(([at, junk]) => {
          const request = valid(p, SAMPLES[p]);
          return request.slice(0, at) + junk + request.slice(at);
        }),
        fc.string({ maxLength: 300 }).map((junk) => `POST /webhooks/${p} HTTP/1.1\r\n${junk}\r\n\r\n`),
        fc.constantFrom(
          `POST /webhooks/${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
          `POST /webhooks/${p} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
          `POST /webhooks/${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
          `POST /webhooks/${'%'.repeat(50)} HTTP/1.1\r\nHost: x\r\n\r\n`,
          `POST /webhooks/${p}/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n`,
        ),
      ),
    );
    await fc.assert(
      fc.asyncProperty(rawRequest, async (request) => {
        const status = await sendRaw(Number(port), request);
        if (status !== undefined) expect(status < 500, `answered ${status} to ${JSON.stringify(request)}`).toBe(true);
        record(status ?? 0);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps running and keeps memory flat through the fuzzing above and another round', async () => {
    const gc = exposeGc();
    gc();
    const before = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(provider, anyBody, headers, async (p, body, extra) => {
        const answer = await post(t.baseUrl, p, body, sign(p, Buffer.isBuffer(body) ? '' : body), extra);
        expect(record(answer.status)).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    gc();
    const after = process.memoryUsage().heapUsed;
    console.log(`[fuzz] heap used before ${(before / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB`);
    expect(after - before).toBeLessThan(32 * 2 ** 20);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    const fresh = SAMPLES.reachfive.replace(/"id":\s*"[^"]*"/, '"id":"after-fuzz"');
    expect((await post(t.baseUrl, 'reachfive', fresh, sign('reachfive', fresh))).status).toBe(202);
  });
});

/** Sends bytes as they are; resolves with the status line's code, or undefined when the server just closed. */
function sendRaw(port: number, request: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = '';
    const done = () => {
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve(match ? Number(match[1]) : undefined);
    };
    socket.setTimeout(3_000, done);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (/\r\n\r\n/.test(data)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.connect(port, '127.0.0.1', () => socket.end(request, 'latin1'));
  });
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
