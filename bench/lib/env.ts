import { readFileSync } from 'node:fs';
import { CREDENTIAL_ENV } from '../../test/support/signing.ts';

/** Where the bench keeps its events: a fresh PostgreSQL schema, or the embedded database. */
export type DbTarget = { kind: 'postgres'; url: string; schema: string } | { kind: 'embedded'; dataDir: string };

export const QUEUE_PREFIX = 'bench';

/** Variables the bench sets itself; anything the shell has for them is dropped. */
const HOOKLINE_VARIABLES = /^(PORT|HOST|REDIS_URL|QUEUE_PREFIX|DATABASE_URL|DATABASE_SCHEMA|DATA_DIR|SLACK_.*|SMTP_URL|EMAIL_.*|LOG_LEVEL|WORKER_CONCURRENCY|.*_WEBHOOK_.*|NODE_OPTIONS)$/;

/**
 * The V8 flags the image starts hookline with (the Dockerfile's `ENV NODE_OPTIONS`), so that the
 * bench measures what users run; BENCH_NODE_OPTIONS replaces them (empty: none).
 */
export const IMAGE_NODE_OPTIONS: string | undefined = (() => {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const match = /^\s*(?:ENV\s+)?NODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(dockerfile);
  return match?.[1] ?? match?.[2];
})();

/** What hookline's processes get as NODE_OPTIONS in this run. */
export function hooklineNodeOptions(): string | undefined {
  const options = process.env.BENCH_NODE_OPTIONS ?? IMAGE_NODE_OPTIONS;
  return options?.trim() ? options.trim() : undefined;
}

export type EnvOptions = {
  redisUrl: string;
  /** A baseline (bare Express, the no-op worker): run with Node's defaults, without hookline's flags. */
  baseline?: boolean;
  db?: DbTarget;
  sinks?: { slackUrl: string; smtpUrl: string; extraEnv?: Record<string, string> };
};

/**
 * A hookline process as it would run in production: defaults for everything the bench does not need
 * to set, LOG_LEVEL=info (one request log line per request, written to /dev/null).
 */
export function hooklineEnv(options: EnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !HOOKLINE_VARIABLES.test(name)) env[name] = value;
  }
  Object.assign(env, CREDENTIAL_ENV, {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
  // V8 flags of hookline's processes (heap sizing), without touching the baselines'.
  const nodeOptions = hooklineNodeOptions();
  if (nodeOptions && !options.baseline) env.NODE_OPTIONS = nodeOptions;
  if (options.db?.kind === 'postgres') Object.assign(env, { DATABASE_URL: options.db.url, DATABASE_SCHEMA: options.db.schema });
  if (options.db?.kind === 'embedded') env.DATA_DIR = options.db.dataDir;
  if (options.sinks) {
    Object.assign(env, {
      SLACK_WEBHOOK_URL: options.sinks.slackUrl,
      SMTP_URL: options.sinks.smtpUrl,
      EMAIL_FROM: 'hookline-bench@example.test',
      EMAIL_TO: 'ops@example.test',
      // Throughput of the sinks themselves: every status, paces lifted (the alert section runs at Slack's real pace).
      SLACK_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
      EMAIL_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
      SLACK_MAX_PER_SECOND: '1000',
      EMAIL_MAX_PER_MINUTE: '6000',
      ...options.sinks.extraEnv,
    });
  }
  return env;
}
