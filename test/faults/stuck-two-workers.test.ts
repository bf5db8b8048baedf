import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { sendSigned } from '../support/signing.ts';
import { personaEvent } from '../alerts/support.ts';
import { HooklineProcess } from './support/hookline-process.ts';
import { startScenario, type Scenario } from './support/scenario.ts';

const databaseUrl = inject('databaseUrl');
const redisUrl = inject('redisUrl');
let scenario: Scenario;
let ingress: HooklineProcess;
let workers: HooklineProcess[] = [];

beforeAll(async () => {
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => databaseUrl });
  // Only failures and stuck reports go to Slack here (the defaults), checked every second.
  const env = scenario.env({ SLACK_STATUSES: 'failed,partial', EMAIL_STATUSES: 'failed,partial', STUCK_AFTER_SECONDS: '5', STUCK_CHECK_INTERVAL_SECONDS: '1' });
  ingress = await new HooklineProcess('ingress').start(env);
  workers = [new HooklineProcess('worker', 'worker-a'), new HooklineProcess('worker', 'worker-b')];
  for (const worker of workers) await worker.start(env);
});
afterAll(async () => {
  for (const process of [ingress, ...workers]) await process?.stop('SIGKILL');
  await scenario?.close();
});

it.skipIf(!databaseUrl)('two worker processes report each stuck run once, and its end resolves it', async () => {
  const runs = ['mprtpr_stuck_a', 'mprtpr_stuck_b', 'mprtpr_stuck_c'];
  for (const [i, run] of runs.entries()) {
    const body = personaEvent(`evt_stuck_${i}`, 'importer-pipeline-run.started', run, { at: new Date(Date.now() - 60_000) });
    expect((await sendSigned(ingress.baseUrl, 'persona', body)).status).toBe(202);
  }
  const stuckTexts = () => scenario.slack.texts.filter((t) => /stuck/i.test(t) && !/stuck for/i.test(t));
  const named = (run: string) => stuckTexts().filter((t) => t.includes(run)).length;
  const deadline = Date.now() + 30_000;
  while (runs.some((run) => named(run) === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  // Ten more checks, on either process.
  await new Promise((r) => setTimeout(r, 10_000));
  const checks = workers.map((w) => w.lines.filter((l) => l.includes('stuck runs reported')).length);
  console.log(`[stuck] reports per run: ${runs.map(named).join(', ')}; Slack messages: ${scenario.slack.delivered.length}; report lines per worker: ${checks.join(', ')}`);
  for (const run of runs) expect(named(run)).toBe(1);

  const end = personaEvent('evt_stuck_end', 'importer-pipeline-run.completed', 'mprtpr_stuck_a');
  expect((await sendSigned(ingress.baseUrl, 'persona', end)).status).toBe(202);
  const until = Date.now() + 20_000;
  while (!scenario.slack.texts.some((t) => t.includes('persona:evt_stuck_end')) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(scenario.slack.texts.find((t) => t.includes('persona:evt_stuck_end'))).toMatch(/stuck for/i);
}, 90_000);
