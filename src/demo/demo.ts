import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { shortTime, table } from '../cli/table.ts';
import type { JobRun, StoredEvent } from '../db/queries.ts';
import { openReplayQueues } from '../replay/replay-queues.ts';
import { sampleBody, sendSample, type SendResult } from '../samples/samples.ts';
import { PROVIDERS, PROVIDER_IDS, type ProviderId } from '../providers/registry.ts';
import { stuckVariable } from '../config/load-config.ts';
import { freePort, isReachable, redisForDemo, stopChild, type DemoRedis } from './local-redis.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const LAND_TIMEOUT_MS = 30_000;
const ALERTS_TIMEOUT_MS = 20_000;

/**
 * Variables that would send the demo's events somewhere real, or change what its alerts show: the
 * demo runs on embedded defaults only, with a Slack stand-in of its own.
 */
const CLEARED = [
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'SLACK_WEBHOOK_URL',
  'SLACK_STATUSES',
  'SLACK_ROUTES',
  'SLACK_MAX_PER_SECOND',
  'SLACK_DIGEST_MAX',
  'SMTP_URL',
  'EMAIL_FROM',
  'EMAIL_TO',
  'EMAIL_STATUSES',
  'EMAIL_ROUTES',
  'EMAIL_MAX_PER_MINUTE',
  'EMAIL_DIGEST_MAX',
  'PUBLIC_URL',
  'STUCK_AFTER_SECONDS',
  'STUCK_CHECK_INTERVAL_SECONDS',
  ...PROVIDER_IDS.map(stuckVariable),
  'QUEUE_PREFIX',
  'SPOOL_DIR',
];

/**
 * The demo's own alert story, on a Persona pipeline of its own: two runs error, the next one
 * completes (reported RECOVERED), and a run that started 2 minutes ago and sent nothing since is
 * reported STUCK once STUCK_AFTER_SECONDS (60 s here; 2 h by default for Persona) has passed.
 */
const DEMO_PIPELINE = { id: 'mprtp_DEMO_NIGHTLY', name: 'Nightly CRM sync' };
const DEMO_STUCK_AFTER_SECONDS = 60;
const MINUTE_MS = 60_000;

/** Ctrl-C at any point still stops hookline and removes the demo's data and queues. */
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupted.abort(new Error('interrupted')));

type Landed = { provider: ProviderId; answer: string; key: string | undefined; event: StoredEvent | undefined; run: JobRun | undefined };

/** A Persona importer-pipeline-run event as Persona sends it, for a run of the demo's pipeline. */
type DemoRun = { label: string; eventId: string; name: string; runId: string; reference: string; agoMs: number };

const FAILED_RUNS: readonly DemoRun[] = [
  { label: 'run 1 errored', eventId: 'evt_DEMO_FAIL_1', name: 'importer-pipeline-run.errored', runId: 'mprtpr_DEMO_1', reference: 'crm-2026-01', agoMs: 4 * MINUTE_MS },
  { label: 'run 2 errored', eventId: 'evt_DEMO_FAIL_2', name: 'importer-pipeline-run.errored', runId: 'mprtpr_DEMO_2', reference: 'crm-2026-02', agoMs: 3 * MINUTE_MS },
];
const RECOVERING_RUN: DemoRun = {
  label: 'run 3 completed',
  eventId: 'evt_DEMO_OK_3',
  name: 'importer-pipeline-run.completed',
  runId: 'mprtpr_DEMO_3',
  reference: 'crm-2026-03',
  agoMs: 1 * MINUTE_MS,
};
const STUCK_RUN: DemoRun = {
  label: 'run 4 started',
  eventId: 'evt_DEMO_START_4',
  name: 'importer-pipeline-run.started',
  runId: 'mprtpr_DEMO_4',
  reference: 'crm-2026-04',
  agoMs: 2 * MINUTE_MS,
};

function personaRunBody(run: DemoRun, now: number): string {
  const at = new Date(now - run.agoMs).toISOString();
  const failed = run.name.endsWith('.errored');
  const done = failed || run.name.endsWith('.completed');
  return `${JSON.stringify(
    {
      data: {
        type: 'event',
        id: run.eventId,
        attributes: {
          name: run.name,
          'created-at': at,
          payload: {
            data: {
              type: 'importer-pipeline-run',
              id: run.runId,
              attributes: {
                'reference-id': run.reference,
                status: run.name.split('.').pop(),
                ...(done ? { 'run-data': { 'row-count': 200, 'success-count': failed ? 0 : 200, 'error-count': failed ? 200 : 0 } } : {}),
              },
              relationships: { 'importer-pipeline': { data: { type: 'importer-pipeline', id: DEMO_PIPELINE.id } } },
            },
            included: [{ type: 'importer-pipeline', id: DEMO_PIPELINE.id, attributes: { name: DEMO_PIPELINE.name } }],
          },
        },
      },
    },
    null,
    2,
  )}\n`;
}

/** Stands in for a Slack incoming webhook on 127.0.0.1: keeps the `text` of every message hookline posts. */
type SlackStandIn = { url: string; texts: string[]; close(): Promise<void> };

async function startSlackStandIn(): Promise<SlackStandIn> {
  const texts: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown };
        texts.push(typeof body.text === 'string' ? body.text : '');
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/DEMO/hookline`,
    texts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** PORT when set (refused when taken: the user asked for it), else 3000, else any free port. */
async function demoPort(requested: string | undefined): Promise<number> {
  if (requested !== undefined && requested.trim() !== '') {
    const port = Number(requested);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT: expected a port number from 1 to 65535 (got ${JSON.stringify(requested)})`);
    if (await isReachable('127.0.0.1', port)) throw new Error(`PORT ${port} is already in use; pick another or leave PORT unset`);
    return port;
  }
  return (await isReachable('127.0.0.1', 3000)) ? await freePort() : 3000;
}

/**
 * `npm run demo`: starts hookline all-in-one on embedded defaults with generated secrets, sends each
 * provider's sample, shows where each landed, and stops (or, with --keep, stays up for /admin).
 */
async function demo(): Promise<number> {
  const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
  const started = Date.now();
  const redis = await redisForDemo(process.env);
  const dataDir = await mkdtemp(join(tmpdir(), 'hookline-demo-'));
  const port = await demoPort(process.env.PORT);
  const baseUrl = `http://127.0.0.1:${port}`;
  const prefix = `hookline-demo-${randomBytes(4).toString('hex')}`;
  const secret = () => `demo-${randomBytes(12).toString('hex')}`;
  const credentials = Object.fromEntries(PROVIDERS.map((provider) => [provider.id, provider.credential.example(secret())])) as Record<ProviderId, string>;
  const adminToken = secret();
  const slack = await startSlackStandIn();
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
    ...Object.fromEntries(PROVIDERS.map((provider) => [provider.credential.variable, credentials[provider.id]])),
    // Slack at its defaults (failed,partial; 1 message a second, digests past it), into the stand-in.
    SLACK_WEBHOOK_URL: slack.url,
    // Small enough for a demo: the stuck run below is reported within a second or two.
    STUCK_AFTER_SECONDS: String(DEMO_STUCK_AFTER_SECONDS),
    STUCK_CHECK_INTERVAL_SECONDS: '1',
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
    const now = Date.now();
    const [landed, story] = await Promise.all([
      sendAll(baseUrl, credentials),
      Promise.all([FAILED_RUNS[0]!, STUCK_RUN].map((run) => sendPersonaRun(baseUrl, credentials.persona, run, now))),
    ]);
    await waitUntilLanded(baseUrl, adminToken, [...landed, ...story]);
    printLanded(landed);
    // One at a time, each once the one before is stored, as a pipeline's runs come: the 2nd failure
    // is then told as such, and the success finds the incident the failures opened.
    for (const run of [...FAILED_RUNS.slice(1), RECOVERING_RUN]) {
      const sent = await sendPersonaRun(baseUrl, credentials.persona, run, now);
      await waitUntilLanded(baseUrl, adminToken, [sent]);
      story.push(sent);
    }
    const alerts = await waitForAlerts(slack);
    printAlerts(slack, alerts);
    const ok =
      [...landed, ...story].every((item) => item.event !== undefined) &&
      alerts.failures.length === FAILED_RUNS.length &&
      alerts.recovered !== undefined &&
      alerts.stuck !== undefined;
    code = ok ? 0 : 1;
    if (!ok) say(`not every event landed (within ${LAND_TIMEOUT_MS / 1000} s) or was reported (within ${ALERTS_TIMEOUT_MS / 1000} s); hookline's log: ${logPath}`);
    if (values.keep && ok) {
      say(`Status page: ${baseUrl}/admin  (log in with the token ${adminToken})`);
      say(`In another terminal: ADMIN_TOKEN=${adminToken} npx hookline events --url ${baseUrl}`);
      say('Running until Ctrl-C.');
      await untilSignal(child);
    }
  } catch (error) {
    say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    const tail = await readFile(logPath, 'utf8').catch(() => '');
    if (tail) say(`--- hookline's log ---\n${tail.split('\n').slice(-30).join('\n')}`);
  } finally {
    await stopChild(child);
    await slack.close();
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

async function sendPersonaRun(baseUrl: string, secret: string, run: DemoRun, now: number): Promise<Landed> {
  const result = await sendWithRetries(() => sendSample(baseUrl, 'persona', personaRunBody(run, now), secret));
  let key: string | undefined;
  try {
    const body = JSON.parse(result.body) as { id?: unknown };
    key = typeof body.id === 'string' ? body.id : undefined;
  } catch {
    // not JSON: it did not land
  }
  return { provider: 'persona', answer: String(result.status), key, event: undefined, run: undefined };
}

type AlertLine = { what: string; line: string };
type Alerts = { failures: AlertLine[]; recovered: AlertLine | undefined; stuck: AlertLine | undefined };

/** The line of a message (or of a digest) that names `needle`. */
function lineNaming(texts: readonly string[], needle: string, also?: RegExp): string | undefined {
  for (const text of texts) {
    for (const line of text.split('\n')) if (line.includes(needle) && (!also || also.test(line))) return line;
  }
  return undefined;
}

const found = (what: string, line: string | undefined): AlertLine | undefined => (line === undefined ? undefined : { what, line });

/** Waits until the stand-in got the recovery and the stuck report, as Slack would have. */
async function waitForAlerts(slack: SlackStandIn): Promise<Alerts> {
  const deadline = Date.now() + ALERTS_TIMEOUT_MS;
  const read = (): Alerts => ({
    failures: FAILED_RUNS.flatMap((run) => {
      const line = lineNaming(slack.texts, `persona:${run.eventId}`);
      return line ? [{ what: run.label, line }] : [];
    }),
    recovered: found(RECOVERING_RUN.label, lineNaming(slack.texts, `persona:${RECOVERING_RUN.eventId}`, /RECOVERED/)),
    stuck: found(`${STUCK_RUN.label} 2 min ago, nothing since`, lineNaming(slack.texts, STUCK_RUN.runId, /STUCK/)),
  });
  for (;;) {
    interrupted.signal.throwIfAborted();
    const alerts = read();
    if ((alerts.recovered && alerts.stuck && alerts.failures.length === FAILED_RUNS.length) || Date.now() > deadline) return alerts;
    await sleep(100);
  }
}

function printAlerts(slack: SlackStandIn, alerts: Alerts): void {
  const digests = slack.texts.filter((text) => text.startsWith('hookline: ')).length;
  say('');
  say(
    `Slack: a stand-in for an incoming webhook, at the defaults (failed and partial runs, 1 message a second, a digest when more wait), ` +
      `received ${slack.texts.length} message${slack.texts.length === 1 ? '' : 's'}${digests > 0 ? ` (${digests} of them ${digests === 1 ? 'a digest' : 'digests'})` : ''}.`,
  );
  say(`Persona pipeline '${DEMO_PIPELINE.name}' (${DEMO_PIPELINE.id}), its lines in them:`);
  const rows = [...alerts.failures, alerts.recovered ?? { what: RECOVERING_RUN.label, line: '(no RECOVERED message)' }, alerts.stuck ?? { what: STUCK_RUN.label, line: '(no STUCK report)' }];
  const width = Math.max(...rows.map((row) => row.what.length));
  for (const row of rows) say(`  ${row.what.padEnd(width)}  →  ${row.line.length > 400 ? `${row.line.slice(0, 399)}…` : row.line}`);
  say(`  (the stuck report: STUCK_AFTER_SECONDS=${DEMO_STUCK_AFTER_SECONDS} and STUCK_CHECK_INTERVAL_SECONDS=1 for the demo; by default 2 h for Persona, checked every 60 s)`);
  say('Email is off in the demo (see "Alerts" and "Configuration" in the README).');
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
