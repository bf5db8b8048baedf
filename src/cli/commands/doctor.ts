import { existsSync } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTransport } from 'nodemailer';
import type { Config } from '../../config/config.ts';
import { loadConfig } from '../../config/load-config.ts';
import { createPgDb } from '../../db/pg-db.ts';
import { ConfigError } from '../../shared/errors.ts';
import { createProbeRedis, describeTopology } from '../../shared/redis.ts';
import { PROVIDER_IDS } from '../providers.ts';
import { openReplayQueues } from '../../replay/replay-queues.ts';

type Verdict = 'ok' | 'warn' | 'fail';
type Check = { verdict: Verdict; what: string; detail: string };

const TIMEOUT_MS = 5_000;

/** Checks the configuration and every connection it names; exits 1 when anything fails. */
export async function doctor(env: Record<string, string | undefined>): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print([{ verdict: 'fail', what: 'configuration', detail: error.message }]);
    return 1;
  }
  const on = PROVIDER_IDS.filter((provider) => config.credentials[provider]);
  const checks: Check[] = [
    { verdict: 'ok', what: 'configuration', detail: 'valid' },
    {
      verdict: on.length > 0 ? 'ok' : 'warn',
      what: 'providers',
      detail: on.length > 0 ? `on: ${on.join(', ')}; off: ${PROVIDER_IDS.filter((p) => !on.includes(p)).join(', ') || 'none'}` : 'every webhook endpoint is off (no secrets set)',
    },
  ];
  checks.push(
    ...(await Promise.all([checkRedis(config), checkDatabase(config), checkEmail(config), checkAdmin(config)])),
    ...checkSlack(config),
    checkAlerts(config),
  );
  print(checks);
  return checks.some((check) => check.verdict === 'fail') ? 1 : 0;
}

function print(checks: readonly Check[]): void {
  for (const check of checks) process.stdout.write(`${check.verdict.padEnd(5)} ${check.what}: ${check.detail}\n`);
}

/** Host and path only: URLs may carry passwords. */
function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

async function checkRedis(config: Config): Promise<Check> {
  const what = `redis ${describeTopology(config.redis)}`;
  const probe = createProbeRedis(config.redis, TIMEOUT_MS);
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    return { verdict: 'fail', what, detail: `not reachable: ${message(error)}` };
  } finally {
    probe.disconnect();
  }
  const queues = openReplayQueues(config.redis, config.queuePrefix, config.destinations.map((d) => d.id));
  try {
    const failed = await Promise.all(queues.all.map(async (queue) => [queue.name, await queue.getFailedCount()] as const));
    const dead = failed.filter(([, count]) => count > 0);
    return {
      verdict: dead.length > 0 ? 'warn' : 'ok',
      what,
      detail:
        `answers (queue prefix ${config.queuePrefix})` +
        (dead.length > 0 ? `; dead letters: ${dead.map(([name, count]) => `${name} ${count}`).join(', ')} (hookline replay --dry-run)` : ''),
    };
  } finally {
    await queues.close();
  }
}

async function checkDatabase(config: Config): Promise<Check> {
  const database = config.database;
  if (database.kind === 'embedded') {
    const dir = resolve(database.dataDir);
    const what = `database embedded in ${dir}`;
    if (!existsSync(dir)) return { verdict: 'ok', what, detail: 'not created yet (hookline creates it at start)' };
    try {
      await access(dir, constants.W_OK);
    } catch {
      return { verdict: 'fail', what, detail: 'not writable' };
    }
    const holder = await readFile(join(dir, 'pglite.lock'), 'utf8').catch(() => undefined);
    return {
      verdict: 'ok',
      what,
      detail: holder ? `in use by ${describeHolder(holder)} (one process only; set DATABASE_URL to run more)` : 'writable, not in use',
    };
  }
  const what = `database ${where(database.url)}${database.schema ? ` schema ${database.schema}` : ''}`;
  let db;
  try {
    db = await createPgDb(database.url, { schema: database.schema, max: 1 });
    await db.query('select 1');
  } catch (error) {
    await db?.close().catch(() => undefined);
    return { verdict: 'fail', what, detail: `not reachable: ${message(error)}` };
  }
  try {
    const { rows } = await db.query<{ version: number }>('select max(version) as version from schema_migrations');
    return { verdict: 'ok', what, detail: `answers; schema at migration ${rows[0]?.version ?? 0}` };
  } catch {
    return { verdict: 'ok', what, detail: 'answers; no tables yet (hookline migrates it at start)' };
  } finally {
    await db.close();
  }
}

function describeHolder(raw: string): string {
  try {
    const holder = JSON.parse(raw) as { pid?: unknown; hostname?: unknown };
    return `process ${String(holder.pid)} on ${String(holder.hostname)}`;
  } catch {
    return 'another process';
  }
}

/** One line per Slack destination (the shorthand and each route), without posting to any. */
function checkSlack(config: Config): Check[] {
  const slack = config.destinations.filter((d) => d.kind === 'slack');
  if (slack.length === 0) return [{ verdict: 'ok', what: 'slack', detail: 'off (SLACK_WEBHOOK_URL and SLACK_ROUTES unset)' }];
  return slack.map((destination) => {
    const what = destination.id === 'slack' ? 'slack' : `slack ${destination.id}`;
    const url = new URL(destination.webhookUrl);
    const looksRight = url.protocol === 'https:' && url.hostname === 'hooks.slack.com' && /^\/services\/[^/]+\/[^/]+\/[^/]+$/.test(url.pathname);
    return looksRight
      ? { verdict: 'ok', what, detail: `${destination.source} has the shape of an incoming webhook (not posted to)` }
      : {
          verdict: 'warn',
          what,
          detail: `${destination.source} is not https://hooks.slack.com/services/T…/B…/…: fine for a stand-in, wrong for Slack (${url.protocol}//${url.host})`,
        };
  });
}

/** What each destination receives, and which providers can be reported stuck after how long. */
function checkAlerts(config: Config): Check {
  const filters = config.destinations.map((d) => {
    const parts = [
      d.filter.providers ? `providers ${[...d.filter.providers].join('+')}` : undefined,
      d.filter.categories ? `categories ${[...d.filter.categories].join('+')}` : undefined,
      `statuses ${[...d.filter.statuses].join('+')}`,
    ].filter(Boolean);
    return `${d.id} (${parts.join(', ')})`;
  });
  const stuck = Object.entries(config.alerts.stuckAfterSeconds)
    .map(([provider, seconds]) => `${provider} ${seconds > 0 ? `${seconds} s` : 'off'}`)
    .join(', ');
  return {
    verdict: config.destinations.length > 0 ? 'ok' : 'warn',
    what: 'alerts',
    detail: `${config.destinations.length > 0 ? `destinations: ${filters.join('; ')}` : 'no Slack or email destination: events are only stored'}; stuck after: ${stuck}${config.alerts.publicUrl ? `; links to ${config.alerts.publicUrl}/admin/events/…` : '; no links (PUBLIC_URL unset)'}`,
  };
}

async function checkEmail(config: Config): Promise<Check> {
  if (!config.email) return { verdict: 'ok', what: 'email', detail: 'off (SMTP_URL unset)' };
  const what = `email ${where(config.email.smtpUrl)}`;
  const transport = createTransport({ url: config.email.smtpUrl, connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS, logger: false });
  try {
    await transport.verify();
    return { verdict: 'ok', what, detail: `the SMTP server accepts a connection; sending as ${config.email.from} to ${config.email.to.length} recipient(s)` };
  } catch (error) {
    return { verdict: 'fail', what, detail: `verify failed: ${message(error)}` };
  } finally {
    transport.close();
  }
}

async function checkAdmin(config: Config): Promise<Check> {
  if (!config.adminToken) return { verdict: 'ok', what: 'status page', detail: 'off (ADMIN_TOKEN unset)' };
  const url = `http://127.0.0.1:${config.port}`;
  try {
    const response = await fetch(`${url}/admin/api/events?limit=1`, {
      headers: { authorization: `Bearer ${config.adminToken}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.ok) return { verdict: 'ok', what: 'status page', detail: `${url}/admin answers and takes ADMIN_TOKEN` };
    return { verdict: 'warn', what: 'status page', detail: `${url}/admin answered ${response.status} (a different token, or an ingress-only process)` };
  } catch {
    return { verdict: 'ok', what: 'status page', detail: `on at /admin once hookline runs (nothing answers at ${url} now)` };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
