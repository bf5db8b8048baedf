import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIngress, type TestIngress } from '../support/harness.ts';
import { waitFor } from '../support/pipeline.ts';
import { KillableRedis } from '../support/killable-redis.ts';
import { freeRestartablePort } from '../support/services.ts';
import { sendSigned } from '../support/signing.ts';

/** The spool against a Redis of this test's own, stopped and started again. */
let port: number;
let redis: KillableRedis;
let spoolDir: string;
let t: TestIngress;

beforeAll(async () => {
  port = await freeRestartablePort();
  redis = new KillableRedis(port);
  spoolDir = await mkdtemp(join(tmpdir(), 'hookline-spool-outage-'));
  await redis.start();
  t = await startTestIngress({
    REDIS_URL: `redis://127.0.0.1:${port}`,
    ENQUEUE_TIMEOUT_MS: '500',
    SPOOL_ENABLED: 'true',
    SPOOL_DIR: spoolDir,
    SPOOL_MAX_BYTES: String(1_048_576),
    MAX_BODY_BYTES: String(400_000),
  });
});
afterAll(async () => {
  await redis.start();
  await t.close();
  await redis.kill();
  await rm(spoolDir, { recursive: true, force: true });
});

const body = (id: string, pad = '') => JSON.stringify({ id, type: 'import', status: 'SUCCESS', total_failed: 0, pad });

async function jobKeys(): Promise<string[]> {
  const jobs = await t.queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
  return jobs.map((job) => (job.data as { key: string }).key).sort();
}

describe('the local spool while Redis is unreachable', () => {
  it('answers 202 with the accepted body, then drains into the queue once Redis is back, without doubling', async () => {
    await redis.kill();
    const ids = ['s1', 's2', 's3'];
    for (const id of ids) {
      const answer = await sendSigned(t.baseUrl, 'reachfive', body(id));
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ status: 'accepted', id: `reachfive:${id}` });
    }
    // A provider retry of a spooled event while Redis is still away: spooled again, stored once.
    expect((await sendSigned(t.baseUrl, 'reachfive', body('s1'))).status).toBe(202);
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/hookline_spool_events 4/);
    expect(Number(/^hookline_spool_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(4 * body('x').length);
    expect(metrics).toMatch(/^hookline_spool_max_bytes \d+$/m);
    // The spool stands in for Redis: ready, as /readyz says just below.
    expect(metrics).toMatch(/^hookline_ready\{check="redis"\} 1$/m);
    // Still ready: the spool stores what Redis cannot, so a load balancer keeps sending.
    const ready = await fetch(`${t.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'spooling' } });

    await redis.start();
    await waitFor(async () => (await jobKeys()).length === 3, 20_000, 'spooled events in the queue');
    expect(await jobKeys()).toEqual(ids.map((id) => `reachfive:${id}`));
    // Once drained, the same key is a duplicate: the drain went through the dedup path.
    expect((await sendSigned(t.baseUrl, 'reachfive', body('s2'))).status).toBe(200);
    await waitFor(async () => /hookline_spool_events 0/.test(await (await fetch(`${t.baseUrl}/metrics`)).text()), 5_000, 'gauge at 0');
    expect(await (await fetch(`${t.baseUrl}/metrics`)).text()).toMatch(/^hookline_spool_bytes 0$/m);
  });

  it('answers 503 with Retry-After when the spool is full', async () => {
    await redis.kill();
    const answers = [];
    for (let n = 0; n < 4; n++) answers.push(await sendSigned(t.baseUrl, 'reachfive', body(`big-${n}`, 'x'.repeat(300_000))));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses[3]).toBe(503);
    expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // No room for another body of the largest size: out of rotation until Redis is back.
    const full = await fetch(`${t.baseUrl}/readyz`);
    expect(full.status).toBe(503);
    expect(await full.json()).toEqual({ status: 'not_ready', checks: { redis: 'unavailable' } });
    await redis.start();
    await waitFor(async () => (await jobKeys()).filter((key) => key.includes('big-')).length === 3, 20_000, 'big events drained');
    // Room again once drained.
    expect((await sendSigned(t.baseUrl, 'reachfive', body('big-3', 'x'.repeat(300_000)))).status).toBe(202);
  });
});
