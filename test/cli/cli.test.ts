import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbeddedDb } from '../../src/db/pglite-db.ts';
import { ADMIN_TOKEN, startAdminPipeline, type AdminPipeline } from '../admin/admin-pipeline.ts';
import { createTestSchema, startTestPipeline, waitFor } from '../support/pipeline.ts';
import { CREDENTIALS } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const databaseUrl = inject('databaseUrl');

type CliRun = { code: number | null; stdout: string; stderr: string };

/** bin/hookline.mjs as `npx hookline` runs it, with only the environment given here. */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/hookline.mjs'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('npx hookline against a running hookline', () => {
  let slack: SlackStandIn;
  let p: AdminPipeline;
  let env: Record<string, string>;

  beforeAll(async () => {
    slack = await new SlackStandIn().start();
    p = await startAdminPipeline({ DATA_DIR: 'memory://', SLACK_WEBHOOK_URL: slack.url });
    env = {
      REDIS_URL: p.config.redisUrl,
      QUEUE_PREFIX: p.config.queuePrefix,
      ADMIN_TOKEN,
      PERSONA_WEBHOOK_SECRET: CREDENTIALS.persona[0],
      HOOKLINE_URL: p.adminUrl.replace(/\/admin$/, ''),
    };
  });
  afterAll(async () => {
    await p?.close();
    await slack?.stop();
  });

  it('send-sample signs the persona sample with the configured secret; again it is a duplicate', async () => {
    slack.answerNext({ status: 400, body: 'invalid_payload' });
    const first = await cli(['send-sample', 'persona', '--url', p.baseUrl], env);
    expect(first.stdout).toMatch(/^202 .*persona:evt_ABC123DEF456GHI789JKL012MNO345/);
    expect(first.code).toBe(0);
    const again = await cli(['send-sample', 'persona', '--url', p.baseUrl], env);
    expect(again.stdout).toMatch(/^200 .*duplicate[\s\S]*--unique/);
    const unique = await cli(['send-sample', 'persona', '--url', p.baseUrl, '--unique'], env);
    expect(unique.stdout).toMatch(/^202 /);
    const off = await cli(['send-sample', 'primer', '--url', p.baseUrl], env);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/PRIMER_WEBHOOK_SECRET is not set/);
    await waitFor(async () => (await p.queues.slack.getFailedCount()) === 1, 15_000, 'a Slack dead letter');
    await waitFor(async () => (await p.db.query('select 1 from webhook_events')).rowCount === 2, 15_000, 'two rows');
  });

  it('events and runs read the running process over its /admin API', async () => {
    const [events, runs, bad] = await Promise.all([
      cli(['events', '--provider', 'persona', '--json'], env),
      cli(['runs', '--status', 'failed'], env),
      cli(['events', '--status', 'exploded'], env),
    ]);
    expect(events.code).toBe(0);
    const rows = JSON.parse(events.stdout) as Array<{ id: string }>;
    expect(rows.map((row) => row.id)).toContain('persona:evt_ABC123DEF456GHI789JKL012MNO345');
    expect(runs.stdout).toMatch(/^failed\s+persona\s+import-batch-002/m);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown status "exploded"/);
  });

  it('replay needs a filter, lists on --dry-run, and replays by key', async () => {
    const bare = await cli(['replay'], env);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/replay what\?/);
    const dry = await cli(['replay', '--provider', 'persona', '--dry-run'], env);
    expect(dry.stdout).toMatch(/slack delivery\s+persona:evt_ABC123DEF456GHI789JKL012MNO345\s+.*invalid_payload/);
    expect(dry.stdout).toMatch(/1 dead letter\(s\) would be replayed/);
    expect(await p.queues.slack.getFailedCount()).toBe(1);
    const replayed = await cli(['replay', '--key', 'persona:evt_ABC123DEF456GHI789JKL012MNO345'], env);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/replayed 1 dead letter/);
    await waitFor(async () => slack.delivered.some((r) => String(r.body.text).includes('import-batch-002') || String(r.body.text).includes('mprtpr_ABC123DEF456')), 15_000, 'the replayed message');
    expect((await cli(['replay', '--provider', 'persona'], env)).stdout).toMatch(/no dead letters match/);
  });

  it('doctor checks the configuration and connections, and fails on a problem', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookline-cli-'));
    try {
      const [good, badConfig, noRedis] = await Promise.all([
        cli(['doctor'], { REDIS_URL: env.REDIS_URL ?? '', QUEUE_PREFIX: env.QUEUE_PREFIX ?? '', DATA_DIR: dataDir }),
        cli(['doctor'], { PORT: 'abc' }),
        cli(['doctor'], { REDIS_URL: 'redis://127.0.0.1:1', DATA_DIR: dataDir, SMTP_URL: 'smtp://127.0.0.1:1', EMAIL_FROM: 'a@example.com', EMAIL_TO: 'b@example.com' }),
      ]);
      expect(good.stdout).toMatch(/^ok\s+redis/m);
      expect(good.code).toBe(0);
      expect(badConfig.code).toBe(1);
      expect(badConfig.stdout).toMatch(/^fail\s+configuration: PORT/m);
      expect(noRedis.code).toBe(1);
      expect(noRedis.stdout).toMatch(/^fail\s+redis/m);
      expect(noRedis.stdout).toMatch(/^fail\s+email/m);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('npx hookline on the database', () => {
  it('says what to do when a running hookline holds the embedded database and no ADMIN_TOKEN is set', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookline-cli-'));
    const db = await createEmbeddedDb(dataDir);
    try {
      const run = await cli(['events'], { DATA_DIR: dataDir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/in use by a running hookline \(pid \d+\).*ADMIN_TOKEN/);
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.skipIf(!databaseUrl)('reads events straight from DATABASE_URL', async () => {
    const schema = await createTestSchema();
    const p = await startTestPipeline({ DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema });
    try {
      await p.db.query(
        `insert into webhook_events (id, provider, type, category, status, subject_id, occurred_at, received_at, summary, event, raw)
         values ('reachfive:cli-test', 'reachfive', 'import', 'import', 'failed', 'job-1', now(), now(), 'a summary', '{}', '{}')`,
      );
      const run = await cli(['events'], { DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/reachfive\s+failed\s+import\s+job-1\s+reachfive:cli-test/);
    } finally {
      await p.close();
      await schema.drop();
    }
  });
});
