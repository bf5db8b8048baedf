import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { HooklineProcess } from './support/hookline-process.ts';
import { buildLedger, leakedSecrets, printLedger, settle } from './support/ledger.ts';
import { PrivateRedis } from './support/private-redis.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';

const databaseUrl = inject('databaseUrl');
let redis: PrivateRedis;
let scenario: Scenario;
let all: HooklineProcess;
/** A separate ingress with the spool off, beside it: it answers 503 during the outage and the provider re-sends. */
let plain: HooklineProcess;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await new PrivateRedis().start();
  scenario = await startScenario({ redisUrl: () => redis.url, databaseUrl: () => databaseUrl });
  // The all-in-one process: the spool is on by default.
  env = scenario.env({ ENQUEUE_TIMEOUT_MS: '500' });
  all = await new HooklineProcess('all').start(env);
  plain = await new HooklineProcess('ingress', 'ingress-no-spool').start(scenario.env({ ENQUEUE_TIMEOUT_MS: '500', SPOOL_ENABLED: 'false' }));
});
afterAll(async () => {
  await all?.stop('SIGKILL');
  await plain?.stop('SIGKILL');
  await scenario?.close();
  await redis?.destroy();
});

it.skipIf(!databaseUrl)('Redis killed and started again under a stream of signed webhooks, the ingress killed while spooling: nothing lost, nothing doubled', async () => {
  const events = makeEvents(150);
  let outage: Promise<void> | undefined;
  const plainStream = sendStream(makeEvents(100), () => plain.baseUrl, { perSecond: 15 });
  const stream = await sendStream(events, () => all.baseUrl, {
    perSecond: 25,
    onProgress: (sent) => {
      if (sent !== 40) return;
      outage = (async () => {
        const started = Date.now();
        await redis.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 2_000));
        // The ingress crashes too, with events in its spool, some perhaps half-written: it starts
        // again on the same spool directory while Redis is still away.
        await all.stop('SIGKILL');
        await all.start(env);
        await new Promise((r) => setTimeout(r, Math.max(0, 6_000 - (Date.now() - started))));
        await redis.start();
      })();
    },
  });
  await outage;
  const unspooled = await plainStream;
  const keys = [...stream.deliveries, ...unspooled.deliveries].flatMap((d) => (d.key ? [d.key] : []));
  await settle(keys, scenario.readers, { slack: 0, email: 0 }, 90_000);
  const plainLedger = await buildLedger('Redis SIGKILLed for 6 s: ingress with the spool off', unspooled, scenario.readers,
    { slack: 0, email: 0 }, `503s re-sent by the provider until stored`);
  printLedger(plainLedger);
  const spooled = all.lines.filter((line) => line.includes('"event spooled"')).length;
  const recovered = all.lines.find((line) => line.includes('spooled events from an earlier run'));
  const recoveredEvents = recovered ? Number((JSON.parse(recovered) as { events: number }).events) : 0;
  const ledger = await buildLedger('Redis SIGKILLed for 6 s; all-in-one SIGKILLed and restarted meanwhile (spool on)', stream, scenario.readers, { slack: 0, email: 0 },
    `${spooled} events spooled, ${recoveredEvents} of them found in the spool by the restarted process; ` +
      `${stream.totals.networkErrors} re-sent after connection errors during the restart`);
  printLedger(ledger);

  expect(ledger.answered2xx).toBe(ledger.sent);
  expect(plainLedger.answered503).toBeGreaterThan(0);
  expect(plainLedger.answered2xx).toBe(plainLedger.sent);
  expect(plainLedger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(plainLedger.doubled.rows).toBe(0);
  expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(ledger.doubled.rows).toBe(0);
  // A Redis crash can cut a delivery between the post and its record: bounded by the Slack (1) and email (4) jobs a worker runs at once.
  expect(ledger.doubled.slack + ledger.doubled.email).toBeLessThanOrEqual(5);
  expect(spooled).toBeGreaterThan(0);
  expect(recoveredEvents).toBeGreaterThan(0);

  const stopped = await all.stop('SIGTERM');
  expect(stopped.code).toBe(0);
  expect(stopped.ms).toBeLessThan(5_000 + 5_000);
  await plain.stop('SIGTERM');
  expect(leakedSecrets([...all.lines, ...plain.lines], [...scenario.secrets(), ...sentCredentials])).toEqual([]);
});
