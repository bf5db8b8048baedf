import { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/ingress/create-app.ts';
import { createQueueEventStore, type EventStore } from '../../src/ingress/event-store.ts';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../src/ingress/json-depth.ts';
import { CLIENT_TIMEOUTS, serve, type RunningServer } from '../../src/shared/http-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { LogCapture, testConfig } from '../support/harness.ts';
import { CREDENTIALS, post, sign } from '../support/signing.ts';

/**
 * Slow and oversized clients against the real HTTP server, with its timeouts shortened (the
 * defaults are 10 s for headers and 30 s for the whole request; the mechanism is the same).
 */
let server: RunningServer;
let store: EventStore;
let redis: Redis;
let base: string;

beforeAll(async () => {
  const config = testConfig({ MAX_BODY_BYTES: '4096', LOG_LEVEL: 'warn' });
  const logger = createLogger(config.logLevel, new LogCapture());
  redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  store = createQueueEventStore({ redis, prefix: config.queuePrefix, timeoutMs: 2_000, logger, dedupWindowMs: () => 60_000 });
  const app = createApp({ config, store, logger, metrics: createMetrics({ defaultMetrics: false }), readiness: [] });
  server = await serve(app, { ...config, clientTimeouts: { headersTimeoutMs: 500, requestTimeoutMs: 1_500 } });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await store.close();
  redis.disconnect();
});

type Outcome = { status: number | undefined; closed: boolean; bytesSent: number };

/** Writes `parts` one by one, `gapMs` apart, and reports what the server did. */
function trickle(parts: string[], gapMs: number, giveUpMs = 8_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = '';
    let bytesSent = 0;
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: match ? Number(match[1]) : undefined, closed, bytesSent });
    };
    let next = 0;
    const timer = setInterval(() => {
      const part = parts[next++];
      if (part === undefined || socket.destroyed) return;
      socket.write(part, () => undefined);
      bytesSent += Buffer.byteLength(part);
    }, gapMs);
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.connect(server.port, '127.0.0.1');
  });
}

describe('slow clients', () => {
  it('keeps the production timeouts at 10 s for headers and 30 s for a whole request', () => {
    expect(CLIENT_TIMEOUTS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
  });

  it('drops a client that sends its headers a byte at a time (slowloris)', async () => {
    const head = `POST /webhooks/reachfive HTTP/1.1\r\nHost: x\r\nAuthorization: ${CREDENTIALS.reachfive[0]}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
    const outcome = await trickle(head.split(''), 20);
    expect(outcome.closed).toBe(true);
    expect(outcome.bytesSent).toBeLessThan(head.length);
    expect([408, undefined]).toContain(outcome.status);
  });

  it('drops a client whose body trickles in past the request timeout', async () => {
    const body = JSON.stringify({ id: 'slow-body', status: 'SUCCESS', pad: 'x'.repeat(400) });
    const head = `POST /webhooks/reachfive HTTP/1.1\r\nHost: x\r\nAuthorization: ${CREDENTIALS.reachfive[0]}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const outcome = await trickle([head, ...body.match(/.{1,10}/g)!], 100);
    expect(outcome.closed).toBe(true);
    expect(outcome.bytesSent).toBeLessThan(head.length + body.length);
    expect([408, undefined]).toContain(outcome.status);
  });

  it('still serves others while slow clients hold sockets', async () => {
    const slow = Array.from({ length: 20 }, () => trickle(['POST /webhooks/reachfive HTTP/1.1\r\n', 'Host: x\r\n'], 200));
    const body = JSON.stringify({ id: `fast-${Date.now()}`, type: 'import', status: 'SUCCESS', total_failed: 0 });
    expect((await post(base, 'reachfive', body, sign('reachfive', body))).status).toBe(202);
    await Promise.all(slow);
  });
});

describe('oversized and hostile bodies', () => {
  it('answers 413 to a large chunked body, discarding the bytes past MAX_BODY_BYTES as they stream in', async () => {
    const head = `POST /webhooks/reachfive HTTP/1.1\r\nHost: x\r\nAuthorization: ${CREDENTIALS.reachfive[0]}\r\n` +
      `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`;
    const before = process.memoryUsage().rss;
    const outcome = await trickle([head, Array.from({ length: 256 }, () => chunk).join('') + '0\r\n\r\n'], 1);
    expect(outcome.status).toBe(413);
    // 4 MiB went through the parser; nothing near that was kept.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });

  it('cuts an endless body at the request timeout (body-parser drains an over-limit body before answering)', async () => {
    const head = `POST /webhooks/reachfive HTTP/1.1\r\nHost: x\r\nAuthorization: ${CREDENTIALS.reachfive[0]}\r\n` +
      `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunk = `400\r\n${'x'.repeat(0x400)}\r\n`;
    const outcome = await trickle([head, ...Array.from({ length: 4_000 }, () => chunk)], 1);
    expect(outcome.closed).toBe(true);
    expect(outcome.bytesSent).toBeLessThan(4_000 * chunk.length);
    // A 408, or the socket just closed when the server could not write while the client kept sending.
    expect([408, 413, undefined]).toContain(outcome.status);
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels with 400, before parsing it`, async () => {
    const deep = `{"id":"deep","a":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`;
    const answer = await post(base, 'reachfive', deep, sign('reachfive', deep));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_json');
    const fine = `{"id":"shallow-${Date.now()}","a":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    expect((await post(base, 'reachfive', fine, sign('reachfive', fine))).status).toBe(202);
  });

  it('counts depth outside strings only', () => {
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ s: '['.repeat(500) })), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('{"s":"\\"[[[[","a":[[[]]]}'), 3)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"s":"\\"[[[[","a":[[]]}'), 3)).toBe(false);
  });

  it('does not let __proto__ or constructor.prototype in a body reach any prototype', async () => {
    for (const body of ['{"id":"proto-1","__proto__":{"polluted":"yes"}}', '{"id":"proto-2","constructor":{"prototype":{"polluted":"yes"}}}']) {
      expect((await post(base, 'reachfive', body, sign('reachfive', body))).status).toBe(202);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
