import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { deliveryQueueName } from '../../src/queue/contract.ts';
import { HooklineProcess } from './support/hookline-process.ts';
import { activeJobs, recoveredJobs, sampleEventLoops } from './support/job-recovery.ts';
import { buildLedger, leakedSecrets, printLedger, settle } from './support/ledger.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { atLockDefaults, startScenario, type Scenario } from './support/scenario.ts';

const databaseUrl = inject('databaseUrl');
const redisUrl = inject('redisUrl');
let scenario: Scenario;
let ingress: HooklineProcess;
let workers: HooklineProcess[];
let redis: Redis;

/**
 * What a killed worker can have sent without recording it: the Slack digest and the email digest
 * in flight (SLACK_DIGEST_MAX 20, EMAIL_DIGEST_MAX 50 by default).
 */
const IN_FLIGHT_DIGESTS = 20 + 50;
/** The issue's bound: a SIGKILLed worker's jobs run again within 15 s, at the defaults. */
const RECOVERY_BOUND_MS = 15_000;
const QUEUES = ['ingest', deliveryQueueName('database'), deliveryQueueName('slack'), deliveryQueueName('email')];
const { workerLockDurationMs: LOCK_MS, workerStalledIntervalMs: STALLED_MS } = loadConfig({});

beforeAll(async () => {
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => databaseUrl });
  // A slow Slack keeps deliveries in flight, so that the kill cuts some of them.
  scenario.slack.delayMs = 150;
  // The workers run at hookline's own lock and stall-check defaults: no lifted limits.
  const env = atLockDefaults(scenario.env());
  ingress = await new HooklineProcess('ingress').start(env);
  workers = [new HooklineProcess('worker', 'worker-a'), new HooklineProcess('worker', 'worker-b')];
  for (const worker of workers) await worker.start(env);
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  for (const process of [ingress, ...(workers ?? [])]) await process?.stop('SIGKILL');
  redis?.disconnect();
  await scenario?.close();
});

it.skipIf(!databaseUrl)(
  'one of two workers SIGKILLed under load, at the default locks: its jobs run again elsewhere within 15 s, no row lost or doubled, messages doubled at most by its jobs in flight',
  async () => {
    const [workerA, workerB] = workers as [HooklineProcess, HooklineProcess];
    let aAlive = true;
    const eventLoops = sampleEventLoops(() => ({ ...(aAlive ? { 'worker-a': workerA.baseUrl } : {}), 'worker-b': workerB.baseUrl }));
    const events = makeEvents(200);
    let sentSoFar = 0;
    const streaming = sendStream(events, () => ingress.baseUrl, { perSecond: 25, onProgress: (index) => (sentSoFar = index + 1) });

    // Kill worker A mid-stream (half sent, 4 s in), with deliveries under way: it holds ingest jobs,
    // and Slack and email alerts waiting for their pace.
    const deadline = Date.now() + 60_000;
    while ((sentSoFar < 100 || scenario.slack.delivered.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const killedAt = Date.now();
    await workerA.stop('SIGKILL');
    aAlive = false;
    const activeAtKill = await activeJobs(redis, scenario.prefix, QUEUES);
    const deliveredAtKill = scenario.slack.delivered.length;

    const stream = await streaming;
    const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
    await settle(keys, scenario.readers, { slack: 0, email: 0 }, 150_000);
    const loops = eventLoops.stop();

    const recovered = await recoveredJobs(redis, scenario.prefix, activeAtKill, killedAt);
    const byQueue = (queue: string) => recovered.filter((job) => job.queue === queue);
    const max = (values: (number | undefined)[]) => Math.max(0, ...values.filter((v): v is number => v !== undefined));
    const takenMs = max(recovered.map((job) => job.takenMs));
    const detected = recovered.map((job) => job.detectedMs).filter((v): v is number => v !== undefined);
    const ingestDoneMs = max(byQueue('ingest').map((job) => job.finishedMs));
    const perQueue = QUEUES.map((queue) => {
      const jobs = byQueue(queue);
      return `${queue} ${jobs.length}/${activeAtKill[queue]?.length ?? 0}${jobs.length ? ` (taken ≤ ${(max(jobs.map((j) => j.takenMs)) / 1000).toFixed(1)} s, done ≤ ${(max(jobs.map((j) => j.finishedMs)) / 1000).toFixed(1)} s)` : ''}`;
    }).join('; ');
    const loopLine = Object.entries(loops).map(([name, f]) => `${name} max ${f.maxMs.toFixed(0)} ms, p99 ≤ ${f.p99Ms.toFixed(0)} ms (${f.samples} samples)`).join('; ');
    const blockedWarnings = workerB.lines.filter((line) => line.includes('event loop blocked')).length;
    console.log(
      `\n[recovery] lock ${LOCK_MS} ms, stall check every ${STALLED_MS} ms (defaults): worker A's jobs ` +
        `back in their queues (stalled) ${detected.length ? `${(Math.min(...detected) / 1000).toFixed(1)}–${(Math.max(...detected) / 1000).toFixed(1)} s` : '(no stalled events read)'} ` +
        `after the SIGKILL (bound ${RECOVERY_BOUND_MS / 1000} s); ingest jobs taken again and done within ${(ingestDoneMs / 1000).toFixed(1)} s; ` +
        `every job taken again within ${(takenMs / 1000).toFixed(1)} s.\n[recovery] recovered/active at the kill, per queue: ${perQueue}` +
        `\n[event loop] ${loopLine}; "event loop blocked" warnings: ${blockedWarnings}\n`,
    );

    const ledger = await buildLedger('2 workers, one SIGKILLed under load (default locks)', stream, scenario.readers, { slack: 0, email: 0 },
      `killed after ${deliveredAtKill} Slack messages; recovered/active at the kill: ${recovered.length}/${Object.values(activeAtKill).flat().length}; ` +
        `back in their queues within ${(Math.max(0, ...detected) / 1000).toFixed(1)} s`);
    printLedger(ledger);

    expect(ledger.answered2xx).toBe(ledger.sent);
    expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
    expect(ledger.doubled.rows).toBe(0);
    expect(ledger.doubled.slack + ledger.doubled.email).toBeLessThanOrEqual(IN_FLIGHT_DIGESTS);

    // The kill cut jobs, and every one of them was free to run again within the bound: a stall check
    // put it back in its queue. Then it runs as soon as a worker has room for it: ingest jobs at once
    // (and they wait for nothing else); alert jobs when the survivor's collector has room (it holds
    // up to two digests' worth, waiting for the destination's pace, as it would without the kill).
    expect(byQueue('ingest').length + byQueue(deliveryQueueName('slack')).length + byQueue(deliveryQueueName('email')).length).toBeGreaterThan(0);
    for (const job of recovered) {
      expect(job.detectedMs, `${job.queue} ${job.jobId}: its stalled event`).toBeDefined();
      expect(job.detectedMs!, `${job.queue} ${job.jobId} back in its queue ${job.detectedMs} ms after the kill`).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
      expect(job.finishedMs, `${job.queue} ${job.jobId} finished`).toBeDefined();
    }
    for (const job of byQueue('ingest')) {
      expect(job.takenMs, `ingest ${job.jobId} taken again ${job.takenMs} ms after the kill`).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
      expect(job.finishedMs!, `ingest ${job.jobId} done ${job.finishedMs} ms after the kill`).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    }
    // The surviving worker renewed its own locks throughout: a stretch of half the lock would let its jobs stall.
    expect(loops['worker-b']?.samples ?? 0).toBeGreaterThan(0);
    expect(loops['worker-b']?.maxMs ?? Infinity).toBeLessThan(LOCK_MS / 2);

    // SIGTERM drains within the bound: SHUTDOWN_TIMEOUT_MS (5 s here) plus main.ts' last-resort 5 s.
    const stopped = await workerB.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    await ingress.stop('SIGTERM');
    const lines = [ingress, workerA, workerB].flatMap((p) => p.lines);
    expect(leakedSecrets(lines, [...scenario.secrets(), ...sentCredentials])).toEqual([]);
  },
  240_000,
);
