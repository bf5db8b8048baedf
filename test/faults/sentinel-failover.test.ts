import { afterEach, describe, expect, inject, it } from 'vitest';
import { HooklineProcess } from './support/hookline-process.ts';
import { buildLedger, leakedSecrets, printLedger, type Ledger } from './support/ledger.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';
import { SENTINEL_NAME, SentinelGroup } from './support/sentinel-group.ts';
import { settleOrQuiet } from './support/settle-stable.ts';

/*
 * A Sentinel group — a primary, one replica, three sentinels, all local processes — whose primary is
 * SIGKILLed under a stream of signed webhooks, with an ingress and a worker process following it
 * through the sentinels (REDIS_SENTINELS). Three runs, each on a fresh group:
 *   1. the plain crash, REDIS_MIN_REPLICAS_ACK off: on one machine the replica is microseconds behind,
 *      so nothing (or next to nothing) is lost; this is what a test on one machine can and cannot show;
 *   2. the crash that loses writes: the replica's link stalls first (a slow or partitioned link) and
 *      the workers are behind (paused), so the primary acknowledges events only it holds; the option
 *      off, those events were answered 202 and are gone after the promotion;
 *   3. the same fault with REDIS_MIN_REPLICAS_ACK=1: nothing answered 202 is lost.
 */

const databaseUrl = inject('databaseUrl');
const EVENTS = 150;
const PER_SECOND = 25;
/** Events sent before the fault. */
const FAULT_AT = 50;

type Run = { ledger: Ledger; failoverMs: number; acceptedWhileStalled: number; lines: string[] };

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

async function run(name: string, options: { replicaAck: boolean; stalledReplica: boolean }): Promise<Run> {
  const group = await new SentinelGroup().start();
  cleanup.push(() => group.destroy());
  const scenario: Scenario = await startScenario({ redisUrl: () => '', databaseUrl: () => databaseUrl });
  cleanup.push(() => scenario.close());
  const env = scenario.env({
    REDIS_SENTINELS: group.sentinelList,
    REDIS_SENTINEL_NAME: SENTINEL_NAME,
    ENQUEUE_TIMEOUT_MS: '1000',
    EMAIL_MAX_PER_MINUTE: '600',
    ...(options.replicaAck ? { REDIS_MIN_REPLICAS_ACK: '1', REDIS_REPLICA_ACK_TIMEOUT_MS: '500' } : {}),
  });
  const ingress = await new HooklineProcess('ingress').start(env);
  const worker = await new HooklineProcess('worker').start(env);
  cleanup.push(() => ingress.stop('SIGKILL'), () => worker.stop('SIGKILL'));

  let failoverMs = 0;
  let rejoinMs = 0;
  let acceptedWhileStalled = 0;
  let stalledAt: number | undefined;
  let fault: Promise<void> | undefined;
  const events = makeEvents(EVENTS);
  const streaming = sendStream(events, () => ingress.baseUrl, {
    perSecond: PER_SECOND,
    onProgress: (sent) => {
      if (sent !== FAULT_AT) return;
      fault = (async () => {
        if (options.stalledReplica) {
          group.link.stalled = true;
          stalledAt = Date.now();
          process.kill(worker.pid!, 'SIGSTOP');
          await new Promise((r) => setTimeout(r, 1_500));
        }
        failoverMs = await group.killPrimaryAndAwaitFailover();
        if (options.stalledReplica) process.kill(worker.pid!, 'SIGCONT');
        rejoinMs = await group.restartOldPrimary();
      })();
    },
  });
  const stream = await Promise.race([
    streaming,
    new Promise<never>((_, reject) =>
      setTimeout(() => {
        const tail = (p: HooklineProcess) => p.lines.slice(-25).map((line) => line.slice(0, 300)).join('\n');
        reject(new Error(`the stream did not finish in 90 s\n--- ingress\n${tail(ingress)}\n--- worker\n${tail(worker)}`));
      }, 90_000).unref(),
    ),
  ]);
  await fault;
  if (stalledAt !== undefined) {
    // Answered 202 between the stall and the kill: what only the old primary held.
    acceptedWhileStalled = stream.deliveries.filter((d) => d.key !== undefined && d.statuses.length === 1 && d.event.n >= FAULT_AT && d.event.n < FAULT_AT + 1.5 * PER_SECOND).length;
  }
  const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
  await settleOrQuiet(keys, scenario.readers, { quietMs: 8_000, timeoutMs: 60_000 });
  const ledger = await buildLedger(name, stream, scenario.readers, { slack: 0, email: 0 },
    `failover in ${(failoverMs / 1000).toFixed(1)} s; ${stream.totals.answered503} answers 503, ${stream.totals.networkErrors} connection errors, all re-sent` +
      (options.stalledReplica ? `; replica link stalled 1.5 s before the kill, worker paused` : '') +
      `; old primary back as a replica after ${(rejoinMs / 1000).toFixed(0)} s`);
  printLedger(ledger);
  await ingress.stop('SIGTERM');
  await worker.stop('SIGTERM');
  const lines = [...ingress.lines, ...worker.lines];
  expect(leakedSecrets(lines, [...scenario.secrets(), ...sentCredentials])).toEqual([]);
  return { ledger, failoverMs, acceptedWhileStalled, lines };
}

// The timeout: the old primary's rejoin alone can take the sentinels 30 s and more on a loaded machine.
describe.skipIf(!databaseUrl || !SentinelGroup.available())('Sentinel: the primary SIGKILLed under a stream of signed webhooks', { timeout: 300_000 }, () => {
  it('REDIS_MIN_REPLICAS_ACK off, a plain crash: hookline follows the promoted primary; on one machine the replica is not behind', async () => {
    const { ledger, lines } = await run('Sentinel primary SIGKILLed, REDIS_MIN_REPLICAS_ACK off', { replicaAck: false, stalledReplica: false });
    expect(ledger.answered2xx).toBe(ledger.sent);
    // Not asserted to be 0: a write acknowledged in the microseconds before the kill may be lost.
    expect(ledger.lost.rows).toBeLessThanOrEqual(5);
    expect(ledger.doubled.rows).toBe(0);
    // Events sent after the failover are stored in the promoted primary and processed: hookline kept going.
    const late = ledger.rows;
    expect(late).toBeGreaterThan(EVENTS - FAULT_AT - 5);
    expect(lines.some((line) => line.includes('redis reachable again'))).toBe(true);
  });

  it('REDIS_MIN_REPLICAS_ACK off, the replica behind: events answered 202 are lost with the primary', async () => {
    const { ledger, acceptedWhileStalled } = await run('Sentinel primary SIGKILLed, replica link stalled, REDIS_MIN_REPLICAS_ACK off', { replicaAck: false, stalledReplica: true });
    console.log(`[sentinel] 202 while the replica link was stalled: ${acceptedWhileStalled}; lost rows: ${ledger.lost.rows}`);
    expect(ledger.answered2xx).toBe(ledger.sent);
    expect(acceptedWhileStalled).toBeGreaterThan(10);
    // What the old primary alone held is gone: answered 202, never a row.
    expect(ledger.lost.rows).toBeGreaterThan(0);
    expect(ledger.doubled.rows).toBe(0);
  });

  it('REDIS_MIN_REPLICAS_ACK=1, the replica behind: every 202 ends as a row', async () => {
    const { ledger, lines } = await run('Sentinel primary SIGKILLed, replica link stalled, REDIS_MIN_REPLICAS_ACK=1', { replicaAck: true, stalledReplica: true });
    expect(ledger.answered2xx).toBe(ledger.sent);
    expect(ledger.answered503).toBeGreaterThan(0);
    expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
    expect(ledger.doubled.rows).toBe(0);
    expect(lines.some((line) => line.includes('Redis replicas acknowledged'))).toBe(true);
  });
});
