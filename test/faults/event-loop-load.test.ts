import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { HooklineProcess } from './support/hookline-process.ts';
import { sampleEventLoops } from './support/job-recovery.ts';
import { makeEvents, sendStream } from './support/provider-stream.ts';
import { atLockDefaults, startScenario, type Scenario } from './support/scenario.ts';

/**
 * Job locks are renewed by a timer on the worker's event loop, every half lock at most: what the
 * default lock allows for rests on the loop never stalling for anything near that. Measured here
 * under a bench-like burst (2,000 events at 200 a second, every one an alert to Slack and email),
 * on a worker process with PostgreSQL and on the all-in-one process with the embedded database
 * (PGlite runs on the process' own thread: the longest synchronous stretches there are).
 */
const databaseUrl = inject('databaseUrl');
const redisUrl = inject('redisUrl');
const { workerLockDurationMs: LOCK_MS } = loadConfig({});
const EVENTS = 2_000;
let scenario: Scenario;
let redis: Redis;
const processes: HooklineProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'hookline-faults-loop-'));

beforeAll(async () => {
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => databaseUrl });
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  redis?.disconnect();
  await scenario?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function burst(ingressUrl: () => string, prefix: string, name: string, target: HooklineProcess): Promise<{ maxMs: number; p99Ms: number; samples: number }> {
  const sampler = sampleEventLoops(() => ({ [name]: target.baseUrl }), 250);
  const started = Date.now();
  const stream = await sendStream(makeEvents(EVENTS), ingressUrl, { perSecond: 200, concurrency: 16 });
  expect(stream.totals.answered2xx).toBe(EVENTS);
  const deadline = Date.now() + 120_000;
  while ((await redis.zcard(`${prefix}:ingest:completed`)) < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const drainedMs = Date.now() - started;
  // Alerts keep flowing at their pace meanwhile (digests): a few more seconds of them.
  await new Promise((r) => setTimeout(r, 3_000));
  const figures = sampler.stop()[name] ?? { maxMs: Infinity, p99Ms: Infinity, samples: 0 };
  const blocked = target.lines.filter((line) => line.includes('event loop blocked')).length;
  console.log(
    `\n[event loop] ${name}: ${EVENTS} events at 200/s, all normalized in ${(drainedMs / 1000).toFixed(1)} s; event-loop delay max ${figures.maxMs.toFixed(0)} ms, ` +
      `worst 250 ms window's p99 ${figures.p99Ms.toFixed(0)} ms (${figures.samples} samples); lock ${LOCK_MS} ms renewed every ≤ ${LOCK_MS / 2} ms; "event loop blocked" warnings ${blocked}\n`,
  );
  expect(await redis.zcard(`${prefix}:ingest:completed`)).toBe(EVENTS);
  expect(figures.samples).toBeGreaterThan(0);
  return figures;
}

it.skipIf(!databaseUrl)('a worker process (PostgreSQL) under a burst: the event loop never stalls near half the lock', async () => {
  const env = atLockDefaults(scenario.env({ LOG_LEVEL: 'info' }));
  const ingress = new HooklineProcess('ingress');
  const worker = new HooklineProcess('worker');
  processes.push(ingress, worker);
  await ingress.start(env);
  await worker.start(env);
  const figures = await burst(() => ingress.baseUrl, scenario.prefix, 'worker (PostgreSQL)', worker);
  expect(figures.maxMs).toBeLessThan(LOCK_MS / 2);
  await worker.stop('SIGKILL');
  await ingress.stop('SIGKILL');
}, 180_000);

it('the all-in-one process (embedded database) under a burst: the event loop never stalls near half the lock', async () => {
  const prefix = `${scenario.prefix}e`;
  const { DATABASE_URL: _url, DATABASE_SCHEMA: _schema, ...rest } = atLockDefaults(scenario.env({ LOG_LEVEL: 'info', QUEUE_PREFIX: prefix }));
  const all = new HooklineProcess('all');
  processes.push(all);
  await all.start({ ...rest, DATA_DIR: dataDir }, 120_000);
  const figures = await burst(() => all.baseUrl, prefix, 'all-in-one (embedded database)', all);
  expect(figures.maxMs).toBeLessThan(LOCK_MS / 2);
  await all.stop('SIGKILL');
}, 180_000);
