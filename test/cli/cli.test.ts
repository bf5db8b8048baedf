import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmbeddedDb } from '../../src/db/pglite-db.ts';
import { sampleBody } from '../../src/samples/samples.ts';
import { ADMIN_TOKEN, startAdminPipeline, type AdminPipeline } from '../admin/admin-pipeline.ts';
import { createTestSchema, startTestPipeline, waitFor } from '../support/pipeline.ts';
import { CREDENTIALS, sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { cli } from './run-cli.ts';

const databaseUrl = inject('databaseUrl');
const PERSONA_KEY = 'persona:evt_ABC123DEF456GHI789JKL012MNO345';
/** Nothing answers here: a command that should not touch Redis shows it by not failing. */
const DEAD_REDIS = 'redis://127.0.0.1:1';

/** The documented --json field names (README, CLI), in order. */
const EVENT_FIELDS = ['id', 'provider', 'type', 'category', 'status', 'subjectId', 'subjectName', 'parentId', 'parentName', 'occurredAt', 'receivedAt', 'summary'];
const RUN_FIELDS = ['provider', 'subjectId', 'subjectName', 'parentId', 'parentName', 'category', 'type', 'status', 'occurredAt', 'eventId', 'summary', 'errorCode', 'errorMessage', 'updatedAt'];
const SHOW_FIELDS = [...EVENT_FIELDS, 'storedAt', 'event', 'alert', 'run', 'ingest', 'deliveries', 'deadLetters', 'rawBody', 'problems'];
const DEAD_LETTER_FIELDS = ['kind', 'queue', 'sink', 'jobId', 'eventKey', 'provider', 'status', 'summary', 'error', 'attemptsMade', 'failedAt', 'receivedAt'];
const DELIVERY_FIELDS = ['destination', 'queue', 'jobId', 'state', 'attemptsMade', 'finishedAt', 'error', 'delivered'];

type Json = Record<string, unknown>;

function parsed<T = Json>(stdout: string): T {
  return JSON.parse(stdout) as T;
}

// Each command is a process of its own (tsx compiling on start): slow on a busy two-core machine.
describe('npx hookline against a running hookline', { timeout: 90_000 }, () => {
  let slack: SlackStandIn;
  let p: AdminPipeline;
  let env: Record<string, string>;
  let baseUrl: string;

  beforeAll(async () => {
    slack = await new SlackStandIn().start();
    p = await startAdminPipeline({ DATA_DIR: 'memory://', SLACK_WEBHOOK_URL: slack.url });
    baseUrl = p.adminUrl.replace(/\/admin$/, '');
    env = {
      REDIS_URL: p.config.redisUrl,
      QUEUE_PREFIX: p.config.queuePrefix,
      ADMIN_TOKEN,
      PERSONA_WEBHOOK_SECRET: CREDENTIALS.persona[0],
      HOOKLINE_URL: baseUrl,
    };
  });
  afterAll(async () => {
    await p?.close();
    await slack?.stop();
  });

  it('send-sample signs the persona sample with the configured secret; again it is a duplicate', async () => {
    slack.answerNext({ status: 400, body: 'invalid_payload' });
    const first = await cli(['send-sample', 'persona', '--url', p.baseUrl], env);
    expect(first.stdout).toMatch(new RegExp(`^202 .*${PERSONA_KEY}`));
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

  it('events and runs read the running process over its /admin API, as JSON with the documented fields', async () => {
    const [events, runs, runsJson, withSchema] = await Promise.all([
      cli(['events', '--provider', 'persona', '--json'], env),
      cli(['runs', '--status', 'failed'], env),
      cli(['runs', '--json', '--limit', '5'], env),
      // The bug: a DATABASE_SCHEMA (meant for a DATABASE_URL) made --url refuse to run.
      cli(['events', '--url', baseUrl, '--limit', '1', '--json'], { ...env, HOOKLINE_URL: '', DATABASE_SCHEMA: 'hookline_elsewhere' }),
    ]);
    expect(events.code).toBe(0);
    const rows = parsed<Json[]>(events.stdout);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(Object.keys(row)).toEqual(EVENT_FIELDS);
    const stored = await p.db.query<{ id: string; status: string; subject_id: string; subject_name: string | null; summary: string; type: string }>(
      "select id, status, subject_id, subject_name, summary, type from webhook_events where id = $1",
      [PERSONA_KEY],
    );
    const known = stored.rows[0];
    expect(rows.find((row) => row.id === PERSONA_KEY)).toMatchObject({
      provider: 'persona',
      status: known?.status,
      type: known?.type,
      subjectId: known?.subject_id,
      subjectName: known?.subject_name,
      summary: known?.summary,
    });
    expect(runs.stdout).toMatch(/^failed\s+persona\s+import-batch-002/m);
    expect(runsJson.code).toBe(0);
    const runRows = parsed<Json[]>(runsJson.stdout);
    for (const row of runRows) expect(Object.keys(row)).toEqual(RUN_FIELDS);
    // The --unique copy is the same run's later event.
    expect(runRows.find((row) => row.subjectName === 'import-batch-002')).toMatchObject({ provider: 'persona', status: 'failed', eventId: expect.stringMatching(/^persona:evt_ABC123/) });
    expect(withSchema.stderr).toBe('');
    expect(withSchema.code).toBe(0);
    expect(parsed<Json[]>(withSchema.stdout)).toHaveLength(1);
  });

  it('show prints one event: its status, run, deliveries per destination, dead letter and raw body; --json as one document', async () => {
    const [json, text, missing, wrongToken] = await Promise.all([
      cli(['show', PERSONA_KEY, '--json'], env),
      cli(['show', PERSONA_KEY], env),
      cli(['show', 'persona:evt_NOT_THERE'], env),
      cli(['show', PERSONA_KEY, '--token', 'hl-Not-The-Token-9Xq7wZk3Lm2P'], env),
    ]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const shown = parsed(json.stdout);
    expect(Object.keys(shown)).toEqual(SHOW_FIELDS);
    expect(shown).toMatchObject({ id: PERSONA_KEY, provider: 'persona', status: 'failed', subjectName: 'import-batch-002', problems: [] });
    expect(shown.event).toMatchObject({ id: PERSONA_KEY, provider: 'persona', status: 'failed' });
    expect(shown.run).toMatchObject({ provider: 'persona', subjectId: shown.subjectId, eventId: expect.stringMatching(/^persona:evt_ABC123/), status: 'failed' });
    expect(Object.keys(shown.run as Json)).toEqual(RUN_FIELDS);
    const deliveries = shown.deliveries as Json[];
    for (const delivery of deliveries) expect(Object.keys(delivery)).toEqual(DELIVERY_FIELDS);
    expect(deliveries.find((d) => d.destination === 'slack')).toMatchObject({ state: 'failed', delivered: false, error: expect.stringMatching(/invalid_payload/) });
    const letters = shown.deadLetters as Json[];
    expect(letters).toHaveLength(1);
    expect(Object.keys(letters[0] ?? {})).toEqual(DEAD_LETTER_FIELDS);
    expect(letters[0]).toMatchObject({ kind: 'delivery', sink: 'slack', eventKey: PERSONA_KEY });
    const raw = shown.rawBody as { source: string; json: boolean; text: string };
    expect(raw).toMatchObject({ source: 'ingest job', json: true });
    expect(JSON.parse(raw.text)).toEqual(JSON.parse(sampleBody('persona')));

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^event\\s+${PERSONA_KEY}$`, 'm'));
    expect(text.stdout).toMatch(/^status\s+failed$/m);
    expect(text.stdout).toMatch(/^subject\s+import-batch-002 \(/m);
    expect(text.stdout).toMatch(/^run \(job_runs\):\n\s+status\s+failed\n\s+latest event\s+persona:evt_ABC123/m);
    expect(text.stdout).toMatch(/^deliveries:\n[\s\S]*^\s+slack\s+failed\s+\d+\s+no\s+.*invalid_payload/m);
    expect(text.stdout).toMatch(/^raw body \(from the ingest job\):\n\s+\{/m);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^hookline: no event with the key "persona:evt_NOT_THERE"/);
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/refused the token/);
  });

  it('replay needs a filter, lists on --dry-run, and replays by key', async () => {
    const bare = await cli(['replay'], env);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/replay what\?/);
    const dry = await cli(['replay', '--provider', 'persona', '--dry-run'], env);
    expect(dry.stdout).toMatch(new RegExp(`slack delivery\\s+${PERSONA_KEY}\\s+.*invalid_payload`));
    expect(dry.stdout).toMatch(/1 dead letter\(s\) would be replayed/);
    const dryJson = await cli(['replay', '--sink', 'slack', '--dry-run', '--json'], env);
    const outcome = parsed(dryJson.stdout);
    expect(Object.keys(outcome)).toEqual(['dryRun', 'replayed', 'skipped']);
    expect(outcome).toMatchObject({ dryRun: true, skipped: [], replayed: [{ kind: 'delivery', sink: 'slack', eventKey: PERSONA_KEY }] });
    expect(Object.keys((outcome.replayed as Json[])[0] ?? {})).toEqual(DEAD_LETTER_FIELDS);
    expect(await p.queues.slack.getFailedCount()).toBe(1);

    // Straight at Redis: Slack refuses it once more, so it is a dead letter again for the --url test.
    const posts = slack.requests.length;
    slack.answerNext({ status: 400, body: 'invalid_payload' });
    const replayed = await cli(['replay', '--key', PERSONA_KEY], env);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/replayed 1 dead letter/);
    await waitFor(async () => slack.requests.length > posts && (await p.queues.slack.getFailedCount()) === 1, 15_000, 'the replayed job refused again');
  });

  it('replay --url replays through the running hookline, never touching Redis itself', async () => {
    // No HOOKLINE_URL and a Redis that does not answer: only the running process can do it.
    const remote = { ADMIN_TOKEN, REDIS_URL: DEAD_REDIS };
    const refused = await cli(['replay', '--url', baseUrl, '--all', '--token', 'hl-Not-The-Token-9Xq7wZk3Lm2P'], remote);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^hookline: hookline at .* refused the token/);
    const dry = await cli(['replay', '--url', baseUrl, '--key', PERSONA_KEY, '--dry-run', '--json'], remote);
    expect(dry.stderr).toBe('');
    expect(parsed(dry.stdout)).toMatchObject({ dryRun: true, replayed: [{ sink: 'slack', eventKey: PERSONA_KEY }] });
    expect(await p.queues.slack.getFailedCount()).toBe(1);

    const replayed = await cli(['replay', '--url', `${baseUrl}/`, '--key', PERSONA_KEY, '--json'], remote);
    expect(replayed.code).toBe(0);
    expect(parsed(replayed.stdout)).toMatchObject({ dryRun: false, skipped: [], replayed: [{ sink: 'slack', eventKey: PERSONA_KEY }] });
    await waitFor(async () => slack.delivered.some((r) => String(r.body.text).includes('import-batch-002') || String(r.body.text).includes('mprtpr_ABC123DEF456')), 15_000, 'the replayed message');
    await waitFor(async () => (await p.queues.slack.getFailedCount()) === 0, 15_000, 'no dead letter left');
    expect((await cli(['replay', '--url', baseUrl, '--provider', 'persona'], remote)).stdout).toMatch(/no dead letters match/);
    // Straight at Redis (no --url) it fails at once, and says so: HOOKLINE_URL does not turn replay into HTTP.
    const direct = await cli(['replay', '--provider', 'persona'], { ...remote, HOOKLINE_URL: baseUrl });
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/^hookline: Redis at redis:\/\/127\.0\.0\.1:1 did not answer .*--url/);
  });

  it('doctor checks the configuration and connections, and fails on a problem', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookline-cli-'));
    try {
      const [good, badConfig, noRedis] = await Promise.all([
        cli(['doctor'], { REDIS_URL: env.REDIS_URL ?? '', QUEUE_PREFIX: env.QUEUE_PREFIX ?? '', DATA_DIR: dataDir }),
        cli(['doctor'], { PORT: 'abc' }),
        cli(['doctor'], { REDIS_URL: DEAD_REDIS, DATA_DIR: dataDir, SMTP_URL: 'smtp://127.0.0.1:1', EMAIL_FROM: 'a@example.com', EMAIL_TO: 'b@example.com' }),
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

describe('npx hookline on the database', { timeout: 90_000 }, () => {
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

  it.skipIf(!databaseUrl)('reads DATABASE_URL or --database-url in DATABASE_SCHEMA: events, runs and show with its deliveries', async () => {
    const schema = await createTestSchema();
    const p = await startTestPipeline({ DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema });
    try {
      expect((await sendSigned(p.baseUrl, 'persona', sampleBody('persona'))).status).toBe(202);
      await waitFor(async () => (await p.db.query('select 1 from webhook_events')).rowCount === 1, 15_000, 'the row');
      await waitFor(async () => (await p.queues.ingest.getCompletedCount()) === 1, 15_000, 'the ingest job done');
      // Only the schema in the environment: the flag stands for DATABASE_URL, and the schema applies to it.
      const flagEnv = { DATABASE_SCHEMA: schema.schema, REDIS_URL: p.config.redisUrl, QUEUE_PREFIX: p.config.queuePrefix };
      const [fromEnv, fromFlag, runs, shown, otherSchema, redisAway] = await Promise.all([
        cli(['events'], { DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema }),
        cli(['events', '--database-url', schema.url, '--json'], flagEnv),
        cli(['runs', '--database-url', schema.url, '--json'], flagEnv),
        cli(['show', PERSONA_KEY, '--database-url', schema.url, '--json'], flagEnv),
        // The flag beats HOOKLINE_URL, and another (empty) schema shows that the schema is really applied.
        cli(['events', '--database-url', schema.url], { DATABASE_SCHEMA: 'public', HOOKLINE_URL: 'http://127.0.0.1:1' }),
        cli(['show', PERSONA_KEY, '--database-url', schema.url, '--json'], { ...flagEnv, REDIS_URL: DEAD_REDIS }),
      ]);
      expect(fromEnv.code).toBe(0);
      expect(fromEnv.stdout).toMatch(new RegExp(`persona\\s+failed\\s+\\S+\\s+import-batch-002\\s+${PERSONA_KEY}`));
      expect(fromFlag.stderr).toBe('');
      expect(parsed<Json[]>(fromFlag.stdout).map((row) => row.id)).toEqual([PERSONA_KEY]);
      expect(parsed<Json[]>(runs.stdout)).toMatchObject([{ provider: 'persona', eventId: PERSONA_KEY, status: 'failed' }]);
      expect(shown.stderr).toBe('');
      const event = parsed(shown.stdout);
      expect(Object.keys(event)).toEqual(SHOW_FIELDS);
      expect(event).toMatchObject({ id: PERSONA_KEY, status: 'failed', run: { eventId: PERSONA_KEY }, ingest: { state: 'completed', writtenInPlace: true }, problems: [] });
      // Read from Redis as the event page reads it: every destination's queue, none with a job (no Slack here).
      expect((event.deliveries as Json[]).map((d) => d.state)).not.toContain('failed');
      expect((event.rawBody as Json).source).toBe('ingest job');
      expect(otherSchema.code).not.toBe(0);
      expect(otherSchema.stderr).toMatch(/PostgreSQL \(DATABASE_URL, schema public\) has no hookline tables/);
      // Without Redis the row, the run and the stored body are still there, and what is missing is said.
      expect(redisAway.code).toBe(0);
      const partial = parsed(redisAway.stdout);
      expect(partial).toMatchObject({ id: PERSONA_KEY, run: { eventId: PERSONA_KEY }, ingest: null, deliveries: null, rawBody: { source: 'stored bytes' } });
      expect((partial.problems as string[]).join('\n')).toMatch(/Redis/);
    } finally {
      await p.close();
      await schema.drop();
    }
  });
});
