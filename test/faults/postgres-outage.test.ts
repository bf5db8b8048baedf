import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { HooklineProcess } from './support/hookline-process.ts';
import { buildLedger, leakedSecrets, printLedger, settle } from './support/ledger.ts';
import { PrivatePostgres } from './support/private-postgres.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';

const redisUrl = inject('redisUrl');
const available = PrivatePostgres.available();
let postgres: PrivatePostgres;
let scenario: Scenario;
let ingress: HooklineProcess;
let worker: HooklineProcess;

beforeAll(async () => {
  if (!available) return;
  postgres = await PrivatePostgres.create();
  await postgres.start();
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => postgres.url });
  ingress = await new HooklineProcess('ingress').start(scenario.env());
  worker = await new HooklineProcess('worker').start(scenario.env());
});
afterAll(async () => {
  await ingress?.stop('SIGKILL');
  await worker?.stop('SIGKILL');
  if (postgres) await postgres.start().catch(() => undefined); // the schema is dropped by scenario.close()
  await scenario?.close();
  await postgres?.destroy();
});

it.skipIf(!available)('PostgreSQL stopped for 10 s under a stream of webhooks: every row arrives once, Slack and email carry on', async () => {
  const events = makeEvents(150);
  let outage: Promise<void> | undefined;
  let emailsWhileDown = 0;
  const stream = await sendStream(events, () => ingress.baseUrl, {
    perSecond: 12,
    onProgress: (sent) => {
      if (sent !== 20) return;
      outage = (async () => {
        await postgres.stop('SIGINT');
        const before = scenario.smtp.messages.length;
        await new Promise((r) => setTimeout(r, 10_000));
        emailsWhileDown = scenario.smtp.messages.length - before;
        await postgres.start();
      })();
    },
  });
  await outage;
  const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
  await settle(keys, scenario.readers, { slack: 0, email: 0 }, 120_000);
  const failedAttempts = worker.lines.filter((line) => /database write failed|database delivery aborted/.test(line)).length;
  const ledger = await buildLedger('PostgreSQL stopped for 10 s', stream, scenario.readers, { slack: 0, email: 0 },
    `${emailsWhileDown} emails sent while PostgreSQL was down; ${failedAttempts} log lines of failed database writes, retried`);
  printLedger(ledger);
  if (process.env.FAULTS_DUMP_DIR) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${process.env.FAULTS_DUMP_DIR}/postgres-outage-worker.log`, worker.lines.join('\n'));
  }

  expect(ledger.answered2xx).toBe(ledger.sent);
  expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(ledger.doubled).toEqual({ rows: 0, slack: 0, email: 0 });
  // Each sink is delivered independently: the database outage did not hold email back.
  expect(emailsWhileDown).toBeGreaterThan(0);

  const stopped = await worker.stop('SIGTERM');
  expect(stopped.code).toBe(0);
  await ingress.stop('SIGTERM');
  expect(leakedSecrets([...ingress.lines, ...worker.lines], [...scenario.secrets(), ...sentCredentials])).toEqual([]);
});
