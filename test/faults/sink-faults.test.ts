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
let worker: HooklineProcess;
let redis: Redis;

beforeAll(async () => {
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => databaseUrl });
  ingress = await new HooklineProcess('ingress').start(scenario.env());
  worker = await new HooklineProcess('worker').start(scenario.env());
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await ingress?.stop('SIGKILL');
  await worker?.stop('SIGKILL');
  redis?.disconnect();
  await scenario?.close();
});

async function failedJobs(sink: 'slack' | 'email'): Promise<string[]> {
  const queue = new Queue(deliveryQueueName(sink), { connection: redis, prefix: scenario.prefix });
  const jobs = await queue.getFailed();
  await queue.close();
  return jobs.map((job) => String(job.failedReason));
}

it.skipIf(!databaseUrl)('Slack answering 429/500/hanging/400 and SMTP answering 421/451/550 or refusing connections', async () => {
  const { slack, smtp } = scenario;
  slack.answerNext(
    { status: 429, headers: { 'retry-after': '1' }, body: '{"ok":false,"error":"rate_limited"}' },
    { status: 429, headers: { 'retry-after': '1' }, body: '{"ok":false,"error":"rate_limited"}' },
    { status: 500, body: 'internal_error' },
    { status: 503, body: 'service_unavailable' },
    { status: 0, hang: true },
  );
  smtp.failNext(
    { responseCode: 421, message: 'Service not available, closing channel', at: 'rcpt' },
    { responseCode: 451, message: 'Requested action aborted: local error', at: 'rcpt' },
  );
  const events = makeEvents(60);
  // One event both refuse for good, whatever message carries it: a digest holding it is split
  // until it alone is refused and dead-lettered, and its neighbours are delivered.
  const poison = events[31]!.id;
  slack.refuse = (body) => JSON.stringify(body).includes(poison);
  smtp.refuse = (mail) => (mail.text ?? '').includes(poison);

  let refusing: Promise<void> | undefined;
  const stream = await sendStream(events, () => ingress.baseUrl, {
    perSecond: 10,
    onProgress: (sent) => {
      if (sent !== 25) return;
      refusing = (async () => {
        // Connections refused for 3 s: the SMTP server is down.
        await smtp.stop();
        await new Promise((r) => setTimeout(r, 3_000));
        await smtp.start(smtp.port);
      })();
    },
  });
  await refusing;
  const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
  // Finding the refused event in a digest takes about 2·log2(n) messages at the destination's pace:
  // for email (6 a minute, digests of up to 50) about two minutes.
  await settle(keys, scenario.readers, { slack: 1, email: 1 }, 240_000);
  const retries = (sink: string) =>
    worker.lines.filter((line) => line.includes('delivery failed, will retry') && line.includes(`"sink":"${sink}"`)).length;
  const [slackDead, emailDead] = [await failedJobs('slack'), await failedJobs('email')];
  const ledger = await buildLedger('Slack 429×2/500/503/hang + one event refused 400; SMTP 421/451 + one refused 550, refused 3 s', stream, scenario.readers,
    { slack: slackDead.length, email: emailDead.length },
    `retried attempts: Slack ${retries('slack')}, email ${retries('email')}; ` +
      `dead letters: Slack "${slackDead.join('; ')}", email "${emailDead.join('; ')}"`);
  printLedger(ledger);

  // The permanent refusals, and only those, are dead letters.
  expect(slackDead).toHaveLength(1);
  expect(slackDead[0]).toMatch(/400/);
  expect(emailDead).toHaveLength(1);
  expect(emailDead[0]).toMatch(/550/);
  const poisonKey = keys.find((key) => key.includes(poison));
  expect(ledger.slackMessages).toBeLessThan(60);
  expect(scenario.readers.slack(keys).has(poisonKey ?? '')).toBe(false);
  expect(ledger.answered2xx).toBe(ledger.sent);
  expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(ledger.doubled).toEqual({ rows: 0, slack: 0, email: 0 });

  await worker.stop('SIGTERM');
  await ingress.stop('SIGTERM');
  expect(leakedSecrets([...ingress.lines, ...worker.lines], [...scenario.secrets(), ...sentCredentials])).toEqual([]);
}, 360_000);
