import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestIngress, type TestIngress } from '../support/harness.ts';
import { KillableRedis } from '../support/killable-redis.ts';
import { freeRestartablePort } from '../support/services.ts';
import { sendSigned } from '../support/signing.ts';

/** A Redis of this test's own, so it can be stopped, slowed and started again. */
let port: number;
let redis: KillableRedis;
let t: TestIngress;

beforeAll(async () => {
  port = await freeRestartablePort();
  redis = new KillableRedis(port, ['--enable-debug-command', 'yes']);
  await redis.start();
  t = await startTestIngress({ REDIS_URL: `redis://127.0.0.1:${port}`, ENQUEUE_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await redis.start();
  await t.close();
  await redis.kill();
});

const body = (id: string) => JSON.stringify({ id, type: 'import', status: 'SUCCESS', total_failed: 0 });

describe('when Redis is unreachable or slow', () => {
  it('answers 503 with Retry-After while Redis is stopped, never a 2xx, and recovers when it is back', async () => {
    expect((await sendSigned(t.baseUrl, 'reachfive', body('before-outage'))).status).toBe(202);

    await redis.kill();
    const started = Date.now();
    const during = await sendSigned(t.baseUrl, 'reachfive', body('during-outage'));
    expect(during.status).toBe(503);
    expect(during.body.error).toBe('unavailable');
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);

    await redis.start();
    let retried = { status: 0 };
    for (let i = 0; i < 50 && retried.status !== 202; i++) {
      await new Promise((r) => setTimeout(r, 100));
      retried = await sendSigned(t.baseUrl, 'reachfive', body('during-outage'));
    }
    // Redis here keeps nothing on disk, so the provider's retry is stored as a new event.
    expect(retried.status).toBe(202);
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
  });

  it('answers 503 within ENQUEUE_TIMEOUT_MS when Redis hangs', async () => {
    const admin = new Redis(`redis://127.0.0.1:${port}`);
    const sleeping = admin.call('DEBUG', 'SLEEP', '1.5').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const answer = await sendSigned(t.baseUrl, 'reachfive', body('while-hung'));
    expect(answer.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1_400);
    await sleeping;
    admin.disconnect();
    // The add that timed out may still have been stored: the retry then must not double it.
    const retry = await sendSigned(t.baseUrl, 'reachfive', body('while-hung'));
    expect([200, 202]).toContain(retry.status);
    const again = await sendSigned(t.baseUrl, 'reachfive', body('while-hung'));
    expect(again.status).toBe(200);
  });
});
