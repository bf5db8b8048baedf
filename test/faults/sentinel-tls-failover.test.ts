import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HooklineProcess } from './support/hookline-process.ts';
import { buildLedger, leakedSecrets, printLedger } from './support/ledger.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';
import { SENTINEL_NAME, SentinelGroup } from './support/sentinel-group.ts';
import { settleOrQuiet } from './support/settle-stable.ts';

/*
 * A Sentinel group as a hardened or managed one runs: TLS only (no plain port on any process;
 * clients, replication and the sentinels' own connections over TLS, a CA of the test's own), a
 * password on the data nodes (requirepass, masterauth; the sentinels use `sentinel auth-pass`) and
 * another on the sentinels (requirepass). hookline reaches it with REDIS_SENTINELS,
 * REDIS_SENTINEL_NAME, REDIS_PASSWORD, REDIS_TLS=true, REDIS_SENTINEL_PASSWORD,
 * REDIS_SENTINEL_TLS=true (the CA through NODE_EXTRA_CA_CERTS) and REDIS_MIN_REPLICAS_ACK=1.
 *   - a wrong password stops the start with one line naming the variable (before, the process
 *     started and reported the sentinels "unreachable (ECONNREFUSED)" for ever);
 *   - under a stream of signed webhooks the primary is SIGKILLed; the sentinels promote the replica,
 *     which has no replica of its own until the old primary is back (WAIT counts none: 503s, re-sent
 *     by the providers); nothing answered 202 is lost;
 *   - then a switchover (SENTINEL FAILOVER) under another stream, with `min-replicas-to-write 1` on
 *     the data nodes: the replica is promoted while the old primary stays up, a primary for the
 *     sentinels' next 10–20 s, until they demote it. Without that setting the workers went on writing
 *     to it (job states, delivery records) and lost those writes when it was demoted: 29 of 100
 *     events' alerts sent twice, to Slack and by email (in digests). With it, the old primary refuses writes
 *     (NOREPLICAS) from the moment its replica is promoted, and hookline reconnects on NOREPLICAS
 *     as on READONLY: through the sentinels, to the new primary.
 */

const databaseUrl = inject('databaseUrl');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DATA_PASSWORD = 'Sentinel-Data-Password-7Hq3Zr9Lm';
const SENTINEL_PASSWORD = 'Sentinel-Own-Password-2Wx8Nc5Tb';
const EVENTS = 150;
const PER_SECOND = 25;
const FAULT_AT = 50;
const available = Boolean(databaseUrl) && SentinelGroup.available({ tls: true });

let group: SentinelGroup;
let scenario: Scenario;
let env: Record<string, string>;

beforeAll(async () => {
  if (!available) return;
  group = await new SentinelGroup({ tls: true, password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD }).start();
  scenario = await startScenario({ redisUrl: () => '', databaseUrl: () => databaseUrl });
  env = scenario.env({
    REDIS_SENTINELS: group.sentinelList,
    REDIS_SENTINEL_NAME: SENTINEL_NAME,
    REDIS_PASSWORD: DATA_PASSWORD,
    REDIS_TLS: 'true',
    REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    REDIS_SENTINEL_TLS: 'true',
    NODE_EXTRA_CA_CERTS: group.caFile,
    REDIS_MIN_REPLICAS_ACK: '1',
    REDIS_REPLICA_ACK_TIMEOUT_MS: '500',
    ENQUEUE_TIMEOUT_MS: '1000',
    EMAIL_MAX_PER_MINUTE: '600',
  });
}, 120_000);

let ingress: HooklineProcess | undefined;
let worker: HooklineProcess | undefined;

afterAll(async () => {
  await ingress?.stop('SIGKILL');
  await worker?.stop('SIGKILL');
  await scenario?.close();
  await group?.destroy();
});

/** A hookline process expected to stop at start: its exit code and every line it wrote. */
function failedStart(role: 'ingress' | 'worker', processEnv: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...processEnv, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} still running after ${timeoutMs / 1000} s:\n${output.slice(-3_000)}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: output.split('\n').filter(Boolean) });
    });
  });
}

/** Whether anything answers a plain-text PING on `port` (a TLS-only port answers nothing readable). */
function answersPlainText(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.on('data', (chunk: Buffer) => done(/^[+-]/.test(chunk.toString('latin1'))));
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    setTimeout(() => done(false), 1_000).unref();
  });
}

describe.skipIf(!available)('Sentinel with TLS and passwords', () => {
  it('a wrong sentinel or data password stops the start with one line naming the variable, and no password in it', async () => {
    expect(await answersPlainText(group.sentinels[0]!.port)).toBe(false);
    expect(await answersPlainText(group.primary.port)).toBe(false);
    const cases = [
      { role: 'ingress', variable: 'REDIS_SENTINEL_PASSWORD', override: { REDIS_SENTINEL_PASSWORD: 'Wrong-Sentinel-Password-1' } },
      { role: 'worker', variable: 'REDIS_PASSWORD', override: { REDIS_PASSWORD: 'Wrong-Data-Password-22' } },
    ] as const;
    for (const { role, variable, override } of cases) {
      const { code, lines } = await failedStart(role, { ...env, ...override });
      const naming = lines.filter((line) => line.includes(variable));
      expect(code, lines.join('\n')).toBe(1);
      expect(naming, lines.join('\n')).toHaveLength(1);
      expect(naming[0]).toMatch(new RegExp(`^hookline: invalid configuration: ${variable}: .*refused`));
      // Not taken for an outage: no "unreachable" line, no stack.
      expect(lines.filter((line) => /unreachable|ReplyError/.test(line))).toEqual([]);
      expect(leakedSecrets(lines, [DATA_PASSWORD, SENTINEL_PASSWORD, ...Object.values(override)])).toEqual([]);
    }
  }, 120_000);

  /** A stream with `fault` started at its `at`-th event; settled and counted. */
  async function streamWith(name: string, events: number, at: number, fault: () => Promise<string>) {
    let faulted: Promise<string> | undefined;
    let faultFailed: (error: unknown) => void = () => undefined;
    const faultFailure = new Promise<never>((_, reject) => (faultFailed = reject));
    const streaming = sendStream(makeEvents(events), () => ingress!.baseUrl, {
      perSecond: PER_SECOND,
      onProgress: (sent) => {
        if (sent !== at) return;
        faulted = fault();
        faulted.catch(faultFailed);
      },
    });
    // A fault that fails (no failover, no rejoin) or a stream that never ends says why at once,
    // with what the group and hookline said, rather than running into the test's timeout.
    let watchdog: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      watchdog = setTimeout(() => void diagnose('the stream did not end within 150 s').then(reject, reject), 150_000);
    });
    const stream = await Promise.race([streaming, stuck, faultFailure.catch(async (error: unknown) => {
      throw await diagnose(`the fault failed: ${error instanceof Error ? error.message : String(error)}`);
    })]).finally(() => clearTimeout(watchdog));
    const what = (await faulted) ?? '';
    const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
    await settleOrQuiet(keys, scenario.readers, { quietMs: 8_000, timeoutMs: 60_000 });
    const ledger = await buildLedger(name, stream, scenario.readers, { slack: 0, email: 0 },
      `${what}; ${stream.totals.answered503} answers 503, ${stream.totals.networkErrors} connection errors, all re-sent`);
    printLedger(ledger);
    expect(ledger.answered2xx).toBe(ledger.sent);
    expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
    expect(ledger.doubled.rows).toBe(0);
    // The at-least-once of alerts across a failover (README): a message sent whose delivery record was
    // lost with the old primary (or refused by it) is sent again: at most the one message each
    // destination was being sent, a digest of up to SLACK_DIGEST_MAX / EMAIL_DIGEST_MAX alerts.
    expect(ledger.doubled.slack).toBeLessThanOrEqual(20);
    expect(ledger.doubled.email).toBeLessThanOrEqual(50);
    return ledger;
  }

  async function diagnose(what: string): Promise<Error> {
    const state = await group.describe().catch((error: unknown) => `(group state unavailable: ${String(error)})`);
    const tail = (process: HooklineProcess | undefined) => (process?.lines ?? []).slice(-25).join('\n');
    return new Error(`${what}\n--- group\n${state}\n--- ingress\n${tail(ingress)}\n--- worker\n${tail(worker)}`);
  }

  it('the primary SIGKILLed under a stream, REDIS_MIN_REPLICAS_ACK=1: hookline follows the sentinels over TLS; every 202 ends as one row, each alert sent', async () => {
    ingress = await new HooklineProcess('ingress').start(env);
    worker = await new HooklineProcess('worker').start(env);
    const ledger = await streamWith('Sentinel, TLS only + data and sentinel passwords: primary SIGKILLed, REDIS_MIN_REPLICAS_ACK=1', EVENTS, FAULT_AT, async () => {
      const failoverMs = await group.killPrimaryAndAwaitFailover();
      const rejoinMs = await group.restartOldPrimary();
      return `failover in ${(failoverMs / 1000).toFixed(1)} s; old primary back as a replica after ${(rejoinMs / 1000).toFixed(0)} s`;
    });
    expect(ledger.answered503).toBeGreaterThan(0);
    const lines = [...ingress.lines, ...worker.lines];
    expect(lines.some((line) => line.includes('Redis replicas acknowledged'))).toBe(true);
    expect(lines.some((line) => line.includes('redis reachable again'))).toBe(true);
  }, 300_000);

  it('then a switchover (SENTINEL FAILOVER: the primary demoted, still up) under a stream: hookline follows; every 202 ends as one row; no password in any log line', async () => {
    if (!ingress || !worker) throw new Error('needs the processes of the test before');
    // Redis' own guard (README): a primary left without a replica refuses writes instead of taking writes it will lose.
    for (const node of [group.primary, group.replica]) await group.onNode(node.port, (client) => client.config('SET', 'min-replicas-to-write', '1'));
    let moved: { from: number; to: number } | undefined;
    await streamWith('Sentinel, TLS only + passwords: switchover (SENTINEL FAILOVER), REDIS_MIN_REPLICAS_ACK=1', 100, 30, async () => {
      const switched = await group.switchover();
      moved = switched;
      return `switchover in ${(switched.ms / 1000).toFixed(1)} s`;
    });
    // Everything hookline wrote after the switchover went to the promoted node.
    expect(await group.onNode(moved!.to, (client) => client.info('replication'))).toMatch(/role:master/);
    await ingress.stop('SIGTERM');
    expect((await worker.stop('SIGTERM')).code).toBe(0);
    expect(leakedSecrets([...ingress.lines, ...worker.lines], [...scenario.secrets(), ...sentCredentials, DATA_PASSWORD, SENTINEL_PASSWORD])).toEqual([]);
  }, 120_000);
});
