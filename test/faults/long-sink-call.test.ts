import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { deliveryQueueName } from '../../src/queue/contract.ts';
import { HooklineProcess } from './support/hookline-process.ts';
import { leakedSecrets } from './support/ledger.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { atLockDefaults, startScenario, type Scenario } from './support/scenario.ts';
import { SlowSmtp } from './support/slow-smtp.ts';

const databaseUrl = inject('databaseUrl');
const redisUrl = inject('redisUrl');
const { workerLockDurationMs: LOCK_MS, workerStalledIntervalMs: STALLED_MS } = loadConfig({});
/** Longer than the lock, shorter than the Slack sink's own 10 s answer timeout. */
const SLACK_ANSWER_MS = 9_000;
/** Longer than the lock, shorter than the 20 s bound on a message (and the 30 s SMTP socket timeout). */
const SMTP_ANSWER_MS = 15_000;
const SLACK_QUEUE = deliveryQueueName('slack');
const EMAIL_QUEUE = deliveryQueueName('email');

let scenario: Scenario;
let smtp: SlowSmtp;
let ingress: HooklineProcess;
let workers: HooklineProcess[] = [];
let redis: Redis;
let env: Record<string, string>;

beforeAll(async () => {
  scenario = await startScenario({ redisUrl: () => redisUrl, databaseUrl: () => databaseUrl });
  scenario.slack.delayMs = SLACK_ANSWER_MS;
  smtp = await new SlowSmtp(SMTP_ANSWER_MS).start();
  // hookline's default locks and stall checks, and email over the slow SMTP server.
  env = atLockDefaults(scenario.env({ SMTP_URL: smtp.url }));
  ingress = await new HooklineProcess('ingress').start(env);
  workers = [new HooklineProcess('worker', 'worker-a'), new HooklineProcess('worker', 'worker-b')];
  for (const worker of workers) await worker.start(env);
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  for (const worker of workers) {
    try {
      if (worker.pid) process.kill(worker.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  for (const process_ of [ingress, ...workers]) await process_?.stop('SIGKILL');
  redis?.disconnect();
  await smtp?.stop();
  await scenario?.close();
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const jobKey = (queue: string, id: string) => `${scenario.prefix}:${queue}:${id}`;
async function onlyActive(queue: string): Promise<string> {
  const ids = await redis.lrange(`${scenario.prefix}:${queue}:active`, 0, -1);
  expect(ids, `${queue} active`).toHaveLength(1);
  return ids[0]!;
}
async function job(queue: string, id: string) {
  const [stc, ats, processedOn, finishedOn, returnvalue] = await redis.hmget(jobKey(queue, id), 'stc', 'ats', 'processedOn', 'finishedOn', 'returnvalue');
  return { stc, ats, processedOn: Number(processedOn), finishedOn: finishedOn ? Number(finishedOn) : undefined, returnvalue };
}

it.skipIf(!databaseUrl)(
  'a Slack call (9 s) and an SMTP send (15 s) longer than the lock run once, with two workers: the lock is renewed throughout and exactly one message of each arrives',
  async () => {
    await sendStream(makeEvents(1), () => ingress.baseUrl, { perSecond: 1 });
    await until(() => scenario.slack.requests.length >= 1 && smtp.arrivals.length >= 1, 30_000, 'the Slack post and the email');
    const slackJob = await onlyActive(SLACK_QUEUE);
    const emailJob = await onlyActive(EMAIL_QUEUE);

    // Past the lock's first term (and a stall check on the other worker), the email job's lock still stands: renewed.
    const emailArrived = smtp.arrivals[0]!.at;
    await new Promise((r) => setTimeout(r, Math.max(0, emailArrived + LOCK_MS + STALLED_MS - Date.now())));
    const lockTtlMs = await redis.pttl(`${jobKey(EMAIL_QUEUE, emailJob)}:lock`);
    expect(smtp.accepted, 'the SMTP server has not answered yet').toBe(0);
    expect(lockTtlMs, 'the email job\'s lock, renewed while its send runs').toBeGreaterThan(0);

    await until(async () => (await job(SLACK_QUEUE, slackJob)).finishedOn !== undefined && (await job(EMAIL_QUEUE, emailJob)).finishedOn !== undefined, 40_000, 'both jobs to finish');
    // Another full lock term and stall check: nothing runs them again.
    await new Promise((r) => setTimeout(r, LOCK_MS + STALLED_MS));

    const slack = await job(SLACK_QUEUE, slackJob);
    const email = await job(EMAIL_QUEUE, emailJob);
    const stalledLines = workers.flatMap((w) => w.lines).filter((line) => line.includes('job stalled'));
    console.log(
      `\n[long sink calls] lock ${LOCK_MS} ms, stall check every ${STALLED_MS} ms: Slack job ran ${((slack.finishedOn! - slack.processedOn) / 1000).toFixed(1)} s, ` +
        `email job ${((email.finishedOn! - email.processedOn) / 1000).toFixed(1)} s (lock TTL ${lockTtlMs} ms at ${((LOCK_MS + STALLED_MS) / 1000).toFixed(0)} s into the send); ` +
        `Slack requests ${scenario.slack.requests.length}, SMTP messages ${smtp.arrivals.length} (answered ${smtp.accepted}); ` +
        `attempts started ${slack.ats}/${email.ats}, stalled ${slack.stc ?? 0}/${email.stc ?? 0}; "job stalled" log lines ${stalledLines.length}\n`,
    );

    expect(slack.finishedOn! - slack.processedOn).toBeGreaterThan(LOCK_MS);
    expect(email.finishedOn! - email.processedOn).toBeGreaterThan(LOCK_MS);
    expect(scenario.slack.requests).toHaveLength(1);
    expect(scenario.slack.delivered).toHaveLength(1);
    expect(smtp.arrivals).toHaveLength(1);
    expect(smtp.accepted).toBe(1);
    for (const run of [slack, email]) {
      expect(run.ats).toBe('1');
      expect(run.stc).toBeNull();
      expect(JSON.parse(run.returnvalue ?? '{}')).toEqual({ delivered: true });
    }
    expect(stalledLines).toEqual([]);
  },
  120_000,
);

it.skipIf(!databaseUrl)(
  'control: the same calls on a worker whose event loop stops longer than the lock (SIGSTOP) do run twice — what renewal prevents',
  async () => {
    const [workerA, workerB] = workers as [HooklineProcess, HooklineProcess];
    // Worker A alone takes the next alert jobs.
    expect((await workerB.stop('SIGTERM')).code).toBe(0);
    const slackBefore = scenario.slack.requests.length;
    const smtpBefore = smtp.arrivals.length;
    await sendStream(makeEvents(1), () => ingress.baseUrl, { perSecond: 1 });
    await until(() => scenario.slack.requests.length > slackBefore && smtp.arrivals.length > smtpBefore, 30_000, 'the Slack post and the email');

    // A stops mid-call: no timer of its event loop runs, so no lock renewal either. Worker C comes up.
    const stoppedAt = Date.now();
    process.kill(workerA.pid!, 'SIGSTOP');
    const workerC = new HooklineProcess('worker', 'worker-c');
    workers.push(workerC);
    await workerC.start(env);
    await until(() => scenario.slack.requests.length > slackBefore + 1 && smtp.arrivals.length > smtpBefore + 1, LOCK_MS + STALLED_MS * 2 + 30_000, 'a second run');
    const secondRunMs = Math.max(scenario.slack.requests.at(-1)!.receivedAt, smtp.arrivals.at(-1)!.at) - stoppedAt;
    process.kill(workerA.pid!, 'SIGCONT');
    console.log(
      `\n[long sink calls, control] worker A frozen mid-call: worker C ran both jobs again ${(secondRunMs / 1000).toFixed(1)} s later ` +
        `(Slack requests ${scenario.slack.requests.length - slackBefore}, SMTP messages ${smtp.arrivals.length - smtpBefore})\n`,
    );
    expect(scenario.slack.requests.length - slackBefore).toBe(2);
    expect(smtp.arrivals.length - smtpBefore).toBe(2);

    const lines = [ingress, ...workers].flatMap((p) => p.lines);
    expect(leakedSecrets(lines, [...scenario.secrets(), ...sentCredentials])).toEqual([]);
  },
  120_000,
);
