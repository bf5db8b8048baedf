import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { shortTime, table } from '../cli/table.ts';
import type { JobRun, StoredEvent } from '../db/queries.ts';
import { openReplayQueues } from '../replay/replay-queues.ts';
import { sampleBody, sendSample, type SendResult } from '../samples/samples.ts';
import { PROVIDER_IDS, type ProviderId } from '../shared/providers.ts';
import { freePort, isReachable, redisForDemo, stopChild, type DemoRedis } from './local-redis.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const LAND_TIMEOUT_MS = 30_000;

/** Variables that would send the demo's events somewhere real: the demo runs on embedded defaults only. */
const CLEARED = ['DATABASE_URL', 'DATABASE_SCHEMA', 'SLACK_WEBHOOK_URL', 'SMTP_URL', 'EMAIL_FROM', 'EMAIL_TO', 'QUEUE_PREFIX', 'SPOOL_DIR'];

/** Ctrl-C at any point still stops hookline and removes the demo's data and queues. */
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupted.abort(new Error('interrupted')));

type Landed = { provider: ProviderId; answer: string; key: string | undefined; event: StoredEvent | undefined; run: JobRun | undefined };

/**
 * `npm run demo`: starts hookline all-in-one on embedded defaults with generated secrets, sends each
 * provider's sample, shows where each landed, and stops (or, with --keep, stays up for /admin).
 */
async function demo(): Promise<number> {
  const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
  const started = Date.now();
  const redis = await redisForDemo(process.env);
  const dataDir = await mkdtemp(join(tmpdir(), 'hookline-demo-'));
  const port = (await isReachable('127.0.0.1', 3000)) ? await freePort() : 3000;
  const baseUrl = `http://127.0.0.1:${port}`;
  const prefix = `hookline-demo-${randomBytes(4).toString('hex')}`;
  const secret = () => `demo-${randomBytes(12).toString('hex')}`;
  const credentials: Record<ProviderId, string> = {
    persona: secret(),
    plextera: secret(),
    primer: secret(),
    reachfive: `Bearer ${secret()}`,
    personaclick: secret(),
  };
  const adminToken = secret();
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of CLEARED) delete env[name];
  Object.assign(env, {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN: adminToken,
    SHUTDOWN_TIMEOUT_MS: '5000',
    PERSONA_WEBHOOK_SECRET: credentials.persona,
    PLEXTERA_WEBHOOK_SECRET: credentials.plextera,
    PRIMER_WEBHOOK_SECRET: credentials.primer,
    REACHFIVE_WEBHOOK_AUTHORIZATION: credentials.reachfive,
    PERSONACLICK_WEBHOOK_TOKEN: credentials.personaclick,
  });

  say(`hookline demo: Redis from ${redis.describe}, queue prefix ${prefix}, embedded database in ${dataDir}`);
  const logPath = join(dataDir, 'hookline.log');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'all'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logPath);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  let code = 1;
  try {
    await waitUntilReady(child, baseUrl, logPath);
    say(`hookline (all-in-one) answers on ${baseUrl} after ${seconds(started)}`);
    const landed = await sendAll(baseUrl, credentials);
    await waitUntilLanded(baseUrl, adminToken, landed);
    printLanded(landed);
    const ok = landed.every((item) => item.event !== undefined);
    say('');
    say('Slack and email are off in the demo (see "Configuration" in the README to switch them on).');
    code = ok ? 0 : 1;
    if (!ok) say(`not every sample landed within ${LAND_TIMEOUT_MS / 1000} s; hookline's log: ${logPath}`);
    if (values.keep && ok) {
      say(`Status page: ${baseUrl}/admin  (log in with the token ${adminToken})`);
      say(`In another terminal: ADMIN_TOKEN=${adminToken} PORT=${port} npx hookline events`);
      say('Running until Ctrl-C.');
      await untilSignal(child);
    }
  } catch (error) {
    say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    const tail = await readFile(logPath, 'utf8').catch(() => '');
    if (tail) say(`--- hookline's log ---\n${tail.split('\n').slice(-30).join('\n')}`);
  } finally {
    await stopChild(child);
    await cleanUp(redis, prefix, dataDir);
    say(`stopped after ${seconds(started)}${values.keep ? '' : '; npm run demo -- --keep leaves it running, to open the status page'}`);
  }
  return code;
}

async function waitUntilReady(child: ChildProcess, baseUrl: string, logPath: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    interrupted.signal.throwIfAborted();
    if (child.exitCode !== null) throw new Error(`hookline exited with code ${child.exitCode} while starting (log: ${logPath})`);
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`hookline was not ready within ${START_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

async function sendAll(baseUrl: string, credentials: Record<ProviderId, string>): Promise<Landed[]> {
  return Promise.all(
    PROVIDER_IDS.map(async (provider) => {
      const result = await sendWithRetries(() => sendSample(baseUrl, provider, sampleBody(provider), credentials[provider]));
      let key: string | undefined;
      let answer = String(result.status);
      try {
        const body = JSON.parse(result.body) as { status?: unknown; id?: unknown };
        key = typeof body.id === 'string' ? body.id : undefined;
        answer = `${result.status} ${typeof body.status === 'string' ? body.status : ''}`.trim();
      } catch {
        // not JSON: the status code says enough
      }
      return { provider, answer, key, event: undefined, run: undefined };
    }),
  );
}

/** As a provider would: a 503 or a refused connection is tried again (a busy machine), a few times. */
async function sendWithRetries(send: () => Promise<SendResult>): Promise<SendResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await send();
      if (result.status !== 503 || attempt >= 5) return result;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
    await sleep(500 * attempt);
  }
}

/** The process holds the embedded database, so the demo reads it the way the CLI does: over /admin's API. */
async function waitUntilLanded(baseUrl: string, token: string, landed: Landed[]): Promise<void> {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${baseUrl}/admin/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`/admin/api/${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  const deadline = Date.now() + LAND_TIMEOUT_MS;
  for (;;) {
    interrupted.signal.throwIfAborted();
    try {
      const { events } = await get<{ events: StoredEvent[] }>('events?limit=100');
      for (const item of landed) item.event = events.find((event) => event.id === item.key);
    } catch (error) {
      // A busy machine: ask again until the deadline, then say why.
      if (Date.now() > deadline) throw error;
    }
    if (landed.every((item) => item.event) || Date.now() > deadline) break;
    await sleep(100);
  }
  const { runs } = await get<{ runs: JobRun[] }>('runs?limit=1000');
  for (const item of landed) {
    item.run = runs.find((run) => run.provider === item.provider && run.subjectId === item.event?.subjectId);
  }
}

function printLanded(landed: readonly Landed[]): void {
  say('');
  say(
    table(
      ['provider', 'answer', 'event key', 'row', 'job run', 'summary'],
      landed.map((item) => [
        item.provider,
        item.answer,
        item.key ?? '-',
        item.event ? `yes (${shortTime(item.event.receivedAt)})` : 'no',
        item.run ? item.run.status : '-',
        item.event?.summary ?? '',
      ]),
      60,
    ),
  );
}

async function cleanUp(redis: DemoRedis, prefix: string, dataDir: string): Promise<void> {
  const queues = openReplayQueues(redis.url, prefix);
  await Promise.allSettled(queues.all.map((queue) => queue.obliterate({ force: true })));
  await queues.close();
  await redis.stop();
  await rm(dataDir, { recursive: true, force: true });
}

function untilSignal(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (interrupted.signal.aborted) return resolve();
    interrupted.signal.addEventListener('abort', () => resolve(), { once: true });
    child.once('exit', () => resolve());
  });
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

demo().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`hookline demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
