import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { HooklineProcess } from './support/hookline-process.ts';
import { buildLedger, leakedSecrets, printLedger, settle } from './support/ledger.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';

const databaseUrl = inject('databaseUrl');
const redisUrl = inject('redisUrl');
let scenario: Scenario;
let ingress: HooklineProcess;
let first: HooklineProcess;
let second: HooklineProcess;

/** SLACK_DIGEST_MAX's default: the most one message carries. */
const SLACK_DIGEST = 20;

beforeAll(async () => {
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => databaseUrl });
  ingress = await new HooklineProcess('ingress').start(scenario.env());
  first = await new HooklineProcess('worker', 'worker-first').start(scenario.env());
  second = new HooklineProcess('worker', 'worker-second');
});
afterAll(async () => {
  for (const process of [ingress, first, second]) await process?.stop('SIGKILL');
  await scenario?.close();
});

it.skipIf(!databaseUrl)('the worker SIGKILLed while Slack holds a digest: none lost, doubled at most by that one digest', async () => {
  const stream = await sendStream(makeEvents(100), () => ingress.baseUrl, { perSecond: 200, concurrency: 20 });
  const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
  expect(keys).toHaveLength(100);

  // Slack takes 4 s to answer from now on: the next digest is received, then the worker dies before the answer.
  scenario.slack.delayMs = 4_000;
  const before = scenario.slack.requests.length;
  const deadline = Date.now() + 30_000;
  while (scenario.slack.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const cut = scenario.slack.requests.at(-1);
  const cutKeys = scenario.readers.slack(keys);
  await first.stop('SIGKILL');
  scenario.slack.delayMs = 0;
  expect(cut).toBeDefined();

  await second.start(scenario.env());
  await settle(keys, scenario.readers, { slack: 0, email: 0 }, 120_000);
  const ledger = await buildLedger('worker SIGKILLed mid-digest (Slack answering in 4 s), another started', stream, scenario.readers, { slack: 0, email: 0 },
    `${cutKeys.size} events had reached Slack when the digest in flight was cut`);
  printLedger(ledger);

  expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(ledger.doubled.rows).toBe(0);
  expect(ledger.doubled.slack).toBeLessThanOrEqual(SLACK_DIGEST);
  // Email went on in the same process: at most one digest of its own may repeat.
  expect(ledger.doubled.email).toBeLessThanOrEqual(50);
  await second.stop('SIGTERM');
  await ingress.stop('SIGTERM');
  expect(leakedSecrets([ingress, first, second].flatMap((p) => p.lines), [...scenario.secrets(), ...sentCredentials])).toEqual([]);
}, 180_000);
