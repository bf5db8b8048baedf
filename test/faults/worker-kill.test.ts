import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { deliveryQueueName } from '../../src/queue/contract.ts';
import { HooklineProcess } from './support/hookline-process.ts';
import { buildLedger, leakedSecrets, printLedger, settle } from './support/ledger.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';

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

beforeAll(async () => {
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => databaseUrl });
  // A slow Slack keeps deliveries in flight, so that the kill cuts some of them.
  scenario.slack.delayMs = 150;
  ingress = await new HooklineProcess('ingress').start(scenario.env());
  workers = [new HooklineProcess('worker', 'worker-a'), new HooklineProcess('worker', 'worker-b')];
  for (const worker of workers) await worker.start(scenario.env());
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  for (const process of [ingress, ...(workers ?? [])]) await process?.stop('SIGKILL');
  redis?.disconnect();
  await scenario?.close();
});

async function activeJobs(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of ['ingest', deliveryQueueName('database'), deliveryQueueName('slack'), deliveryQueueName('email')]) {
    const queue = new Queue(name, { connection: redis, prefix: scenario.prefix });
    counts[name] = await queue.getActiveCount();
    await queue.close();
  }
  return counts;
}

it.skipIf(!databaseUrl)('one of two workers SIGKILLed under load: its jobs run again, rows are not doubled, messages doubled at most by its jobs in flight', async () => {
  const [workerA, workerB] = workers as [HooklineProcess, HooklineProcess];
  const events = makeEvents(200);
  const streaming = sendStream(events, () => ingress.baseUrl, { perSecond: 50 });

  // Kill worker A once deliveries are well under way.
  const deadline = Date.now() + 60_000;
  while (scenario.slack.delivered.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const inFlight = await activeJobs();
  await workerA.stop('SIGKILL');
  const deliveredAtKill = scenario.slack.delivered.length;

  const stream = await streaming;
  const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
  await settle(keys, scenario.readers, { slack: 0, email: 0 }, 120_000);
  const ledger = await buildLedger('2 workers, one SIGKILLed under load', stream, scenario.readers, { slack: 0, email: 0 },
    `killed after ${deliveredAtKill} Slack messages; active at the kill: ingest ${inFlight.ingest}, ` +
      `slack ${inFlight['deliver-slack']}, email ${inFlight['deliver-email']}, database ${inFlight['deliver-database']}`);
  printLedger(ledger);

  expect(ledger.answered2xx).toBe(ledger.sent);
  expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(ledger.doubled.rows).toBe(0);
  expect(ledger.doubled.slack + ledger.doubled.email).toBeLessThanOrEqual(IN_FLIGHT_DIGESTS);

  // SIGTERM drains within the bound: SHUTDOWN_TIMEOUT_MS (5 s here) plus main.ts' last-resort 5 s.
  const stopped = await workerB.stop('SIGTERM');
  expect(stopped.code).toBe(0);
  expect(stopped.ms).toBeLessThan(10_000);
  await ingress.stop('SIGTERM');
  const lines = [ingress, workerA, workerB].flatMap((p) => p.lines);
  expect(leakedSecrets(lines, [...scenario.secrets(), ...sentCredentials])).toEqual([]);
});
