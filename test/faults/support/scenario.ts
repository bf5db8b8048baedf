import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CREDENTIALS, CREDENTIAL_ENV } from '../../support/signing.ts';
import { SlackStandIn } from '../../support/slack-stand-in.ts';
import { SmtpStandIn } from '../../support/smtp-stand-in.ts';
import { sinkReaders, type SinkReaders } from './ledger.ts';

export type Scenario = {
  slack: SlackStandIn;
  smtp: SmtpStandIn;
  schema: string;
  prefix: string;
  spoolDir: string;
  readers: SinkReaders;
  /** Environment for every hookline process of the scenario. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Configured secrets: none may appear in any log line. */
  secrets(): string[];
  close(): Promise<void>;
};

/** Slack and SMTP stand-ins, a schema and a queue prefix of the scenario's own. */
export async function startScenario(options: { redisUrl: () => string; databaseUrl: () => string }): Promise<Scenario> {
  const slack = await new SlackStandIn().start();
  const smtp = await new SmtpStandIn().start();
  const schema = `f_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const prefix = `f${randomUUID().slice(0, 8)}`;
  const spoolDir = mkdtempSync(join(tmpdir(), 'hookline-faults-spool-'));
  let spoolCount = 0;
  return {
    slack,
    smtp,
    schema,
    prefix,
    spoolDir,
    readers: sinkReaders({ databaseUrl: options.databaseUrl(), schema, slack, smtp }),
    env: (extra = {}) => ({
      ...CREDENTIAL_ENV,
      REDIS_URL: options.redisUrl(),
      QUEUE_PREFIX: prefix,
      DATABASE_URL: options.databaseUrl(),
      DATABASE_SCHEMA: schema,
      SLACK_WEBHOOK_URL: slack.url,
      // Every status, so that every event of a stream is an alert to count; at Slack's real pace.
      SLACK_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
      EMAIL_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'hookline@example.com',
      EMAIL_TO: 'oncall@example.com',
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '5000',
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2000',
      // One spool directory per process.
      SPOOL_DIR: join(spoolDir, String(spoolCount++)),
      ...extra,
    }),
    secrets: () => [...Object.values(CREDENTIALS).flat(), new URL(slack.url).pathname, slack.url],
    async close() {
      await slack.stop();
      await smtp.stop();
      const client = new pg.Client({ connectionString: options.databaseUrl() });
      await client.connect().then(
        async () => {
          await client.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
          await client.end();
        },
        () => undefined,
      );
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/**
 * The scenario's environment without its short job locks: the workers run at hookline's defaults of
 * WORKER_LOCK_DURATION_MS and WORKER_STALLED_INTERVAL_MS (what the recovery bound is measured at).
 */
export function atLockDefaults(env: Record<string, string>): Record<string, string> {
  const { WORKER_LOCK_DURATION_MS: _lock, WORKER_STALLED_INTERVAL_MS: _stalled, ...rest } = env;
  return rest;
}
