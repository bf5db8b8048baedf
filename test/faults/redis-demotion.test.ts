import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../src/shared/local-redis.ts';
import { HooklineProcess } from './support/hookline-process.ts';
import { probeOptions, withClient } from './support/one-shot-client.ts';
import { buildLedger, leakedSecrets, printLedger } from './support/ledger.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';
import { SentinelGroup, StallableLink } from './support/sentinel-group.ts';
import { settleOrQuiet } from './support/settle-stable.ts';

/*
 * A primary demoted behind a plain REDIS_URL, as a managed service's switchover or an operator does
 * it: the node hookline is connected to turns into a replica (REPLICAOF) while hookline stays
 * connected, so its writes are answered `READONLY You can't write against a read only replica`.
 * Two Redis processes, A and B (A's replica), and a TCP hop standing for the DNS name hookline's
 * REDIS_URL points at. Under one stream of signed webhooks:
 *   1. A demoted (B promoted first, A's writes paused until B has them), then promoted back
 *      (REPLICAOF NO ONE) 3 s later: the name never moved. The database's inserts are held for a
 *      moment around the demotion, so that the workers' fan-outs (one MULTI of delivery jobs per
 *      batch of events) reach A while it is a replica: BullMQ's FlowProducer does not look at the
 *      errors inside EXEC's reply, and before src/shared/redis.ts made such an EXEC fail, those
 *      events' alerts were never queued (23 of 300 here; 46 and 68 in runs without the held inserts);
 *   2. the same switchover again, and 2 s later the name moves to B (new connections go there; the
 *      open ones to A stay, as a DNS change leaves them).
 * Nothing answered 202 may be lost, and hookline must follow the name without a restart.
 */

const databaseUrl = inject('databaseUrl');
const EVENTS = 300;
const PER_SECOND = 25;
const DEMOTE_BACK_AT = 60;
const MOVE_AT = 170;
const available = Boolean(databaseUrl) && SentinelGroup.available();

type Node = { name: 'A' | 'B'; server: RedisServer };

let root: string;
let a: Node;
let b: Node;
const name = new StallableLink();
let target: Node;
let scenario: Scenario;
let ingress: HooklineProcess;
let worker: HooklineProcess;

function onNode<T>(node: Node, use: (client: Redis) => Promise<T>): Promise<T> {
  return withClient(probeOptions(node.server.port), use);
}

const field = (info: string, key: string) => new RegExp(`^${key}:(.*)$`, 'm').exec(info)?.[1]?.trim();

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * `from` becomes a replica of `to` (its replica until now) without losing a write: `from`'s writes
 * are paused until `to` has caught up, `to` is promoted, `from` made its replica, then unpaused —
 * what a managed service's switchover does. Resolves once `from` answers writes with READONLY.
 */
async function switchover(from: Node, to: Node): Promise<void> {
  await onNode(from, async (client) => {
    await client.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    try {
      const offset = field(await client.info('replication'), 'master_repl_offset');
      await until(async () => field(await onNode(to, (c) => c.info('replication')), 'slave_repl_offset') === offset, `${to.name} caught up with ${from.name}`);
      await onNode(to, (c) => c.call('REPLICAOF', 'NO', 'ONE'));
      await client.call('REPLICAOF', '127.0.0.1', String(to.server.port));
    } finally {
      await client.call('CLIENT', 'UNPAUSE');
    }
  });
}

/** `node` takes the writes again; `replica` (the primary of a moment ago) follows it. */
async function promoteBack(node: Node, replica: Node): Promise<void> {
  await onNode(node, (client) => client.call('REPLICAOF', 'NO', 'ONE'));
  await onNode(replica, (client) => client.call('REPLICAOF', '127.0.0.1', String(node.server.port)));
}

/**
 * Holds every insert into the scenario's events table (the workers' jobs wait in their database
 * write) until the returned release is called.
 */
async function holdInserts(schema: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${schema}.webhook_events in exclusive mode`);
  return async () => {
    await client.query('commit').catch(() => undefined);
    await client.end();
  };
}

async function linkUp(replica: Node): Promise<boolean> {
  return /master_link_status:up/.test(await onNode(replica, (client) => client.info('replication')).catch(() => ''));
}

const nodeArgs = (dir: string) => ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'];

beforeAll(async () => {
  if (!available) return;
  root = mkdtempSync(join(tmpdir(), 'hookline-faults-demotion-'));
  const dirA = mkdtempSync(join(root, 'a-'));
  const dirB = mkdtempSync(join(root, 'b-'));
  a = { name: 'A', server: await startRedisServer({ args: nodeArgs(dirA), startTimeoutMs: 10_000 }) };
  b = { name: 'B', server: await startRedisServer({ args: [...nodeArgs(dirB), '--replicaof', '127.0.0.1', String(a.server.port)], startTimeoutMs: 10_000 }) };
  await until(() => linkUp(b), 'B replicating from A', 30_000);
  target = a;
  await name.start(() => target.server.port);
  scenario = await startScenario({ redisUrl: () => `redis://127.0.0.1:${name.port}`, databaseUrl: () => databaseUrl });
  const env = scenario.env({ ENQUEUE_TIMEOUT_MS: '1000', EMAIL_MAX_PER_MINUTE: '600' });
  ingress = await new HooklineProcess('ingress').start(env);
  worker = await new HooklineProcess('worker').start(env);
}, 120_000);

afterAll(async () => {
  await ingress?.stop('SIGKILL');
  await worker?.stop('SIGKILL');
  await scenario?.close();
  await name.close();
  await Promise.allSettled([a?.server.kill(), b?.server.kill()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

it.skipIf(!available)(
  'a primary demoted behind REDIS_URL (READONLY), promoted back, then replaced by another node under the same name: every 202 ends as one row, each alert sent',
  { timeout: 180_000 },
  async () => {
    const marks: string[] = [];
    const started = Date.now();
    const mark = (what: string) => marks.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);
    let faults: Promise<void> = Promise.resolve();
    const fault = (step: () => Promise<void>) => {
      faults = faults.then(step);
    };
    let release: Promise<() => Promise<void>> | undefined;
    const stream = await sendStream(makeEvents(EVENTS), () => ingress.baseUrl, {
      perSecond: PER_SECOND,
      onProgress: (sent) => {
        if (sent === DEMOTE_BACK_AT - 20) release = holdInserts(scenario.schema);
        if (sent === DEMOTE_BACK_AT) {
          fault(async () => {
            await switchover(a, b);
            mark('A demoted (B promoted)');
            await new Promise((r) => setTimeout(r, 300));
            await (await release)?.();
            mark('database inserts released');
            await new Promise((r) => setTimeout(r, 2_700));
            await promoteBack(a, b);
            mark('A promoted back (B its replica)');
            await until(() => linkUp(b), 'B replicating from A again', 30_000);
          });
        }
        if (sent === MOVE_AT) {
          fault(async () => {
            await switchover(a, b);
            mark('A demoted (B promoted)');
            await new Promise((r) => setTimeout(r, 2_000));
            target = b;
            mark('the name moved to B');
          });
        }
      },
    });
    await faults;
    const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
    await settleOrQuiet(keys, scenario.readers, { quietMs: 15_000, timeoutMs: 60_000 });
    const ledger = await buildLedger('REDIS_URL primary demoted (READONLY): promoted back, then the name moved to the new primary', stream, scenario.readers, { slack: 0, email: 0 },
      `${stream.totals.answered503} answers 503, ${stream.totals.networkErrors} connection errors, all re-sent; ${marks.join('; ')}`);
    printLedger(ledger);
    const lines = [...ingress.lines, ...worker.lines];
    // What the jobs went through, from B (where everything is now): a job whose fan-out failed ran again.
    const counts: string[] = [];
    let rerun = 0;
    for (const queueName of ['ingest', 'deliver-slack', 'deliver-email']) {
      const queue = new Queue(queueName, { connection: { host: '127.0.0.1', port: b.server.port }, prefix: scenario.prefix });
      counts.push(`${queueName} ${JSON.stringify(await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'waiting-children'))}`);
      if (queueName === 'ingest') rerun = (await queue.getJobs(['completed'], 0, -1)).filter((job) => job.attemptsStarted > 1).length;
      await queue.close();
    }
    console.log(`[demotion] ${lines.filter((line) => /READONLY/.test(line)).length} log lines name READONLY; ${rerun} ingest jobs ran more than once; ${counts.join('; ')}`);

    expect(ledger.answered2xx).toBe(ledger.sent);
    expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
    expect(ledger.doubled.rows).toBe(0);
    expect(ledger.doubled.slack + ledger.doubled.email).toBeLessThanOrEqual(3);
    expect(lines.filter((line) => /MaxListenersExceededWarning/.test(line))).toEqual([]);
    // Everything now lives on B, the node the name points at, and A follows it.
    expect(field(await onNode(a, (client) => client.info('replication')), 'role')).toBe('slave');
    expect(await onNode(b, (client) => client.dbsize())).toBeGreaterThan(0);
    await ingress.stop('SIGTERM');
    expect((await worker.stop('SIGTERM')).code).toBe(0);
    expect(leakedSecrets(lines, [...scenario.secrets(), ...sentCredentials])).toEqual([]);
  },
);
