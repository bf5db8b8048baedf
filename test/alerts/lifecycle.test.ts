import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createLogger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { startWorkers, type RunningWorkers } from '../../src/workers/start-workers.ts';
import { countKeys, keysIn } from '../support/alert-keys.ts';
import { createTestSchema, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { personaEvent, reachfiveReport, sendAll } from './support.ts';
import { sendSigned } from '../support/signing.ts';

const databaseUrl = inject('databaseUrl');

let slack: SlackStandIn;
let other: SlackStandIn;
let schema: Awaited<ReturnType<typeof createTestSchema>> | undefined;
let p: TestPipeline | undefined;
const extraWorkers: RunningWorkers[] = [];

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  other = await new SlackStandIn().start();
});
afterAll(async () => {
  await slack.stop();
  await other.stop();
});
afterEach(async () => {
  for (const w of extraWorkers.splice(0)) await w.close();
  await p?.close();
  await schema?.drop();
  p = undefined;
  schema = undefined;
  slack.reset();
  other.reset();
});

async function pipeline(env: Record<string, string>): Promise<TestPipeline> {
  schema = databaseUrl ? await createTestSchema() : undefined;
  p = await startTestPipeline({
    ...(schema ? { DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema } : { DATA_DIR: 'memory://' }),
    ...env,
  });
  return p;
}

const ago = (ms: number) => new Date(Date.now() - ms);

describe('routes', () => {
  it('sends a burst through two routes: each channel gets exactly its events, once', async () => {
    const pl = await pipeline({
      SLACK_ROUTES: JSON.stringify([
        { url: slack.url, name: 'identity', providers: ['persona'] },
        { url: other.url, name: 'crm', providers: ['reachfive'] },
      ]),
    });
    const persona = Array.from({ length: 30 }, (_, i) => personaEvent(`evt_r${i}`, 'importer-pipeline-run.errored', `mprtpr_r${i}`));
    const reachfive = Array.from({ length: 40 }, (_, i) => reachfiveReport(`job_r${i}`));
    const personaKeys = new Set(Array.from({ length: 30 }, (_, i) => `persona:evt_r${i}`));
    const reachfiveKeys = new Set(Array.from({ length: 40 }, (_, i) => `reachfive:job_r${i}`));
    const statuses = await Promise.all([sendAll(pl.baseUrl, 'persona', persona, 20), sendAll(pl.baseUrl, 'reachfive', reachfive, 20)]);
    expect(statuses.flat().every((s) => s === 202)).toBe(true);
    await waitFor(async () => countKeys(slack.texts, personaKeys).size === 30 && countKeys(other.texts, reachfiveKeys).size === 40, 30_000, 'both channels');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect([...countKeys(slack.texts, personaKeys).values()].every((n) => n === 1)).toBe(true);
    expect([...countKeys(other.texts, reachfiveKeys).values()].every((n) => n === 1)).toBe(true);
    expect(countKeys(slack.texts, reachfiveKeys).size).toBe(0);
    expect(countKeys(other.texts, personaKeys).size).toBe(0);
    // Each channel at its own pace: neither waited for the other's 70 alerts.
    expect(slack.delivered.length).toBeLessThanOrEqual(4);
    expect(other.delivered.length).toBeLessThanOrEqual(4);
  });

  it("one channel's outage never holds another back", async () => {
    const pl = await pipeline({
      SLACK_ROUTES: JSON.stringify([
        { url: slack.url, name: 'down' },
        { url: other.url, name: 'up' },
      ]),
    });
    slack.answerNext(...Array.from({ length: 50 }, () => ({ status: 503, body: 'service unavailable' })));
    expect((await sendSigned(pl.baseUrl, 'reachfive', reachfiveReport('job_outage'))).status).toBe(202);
    await waitFor(async () => keysIn(other.texts.join('\n'), new Set(['reachfive:job_outage'])).length === 1, 10_000, 'the healthy channel');
  });
});

describe('priorities', () => {
  it('never keeps failures waiting behind a queue of successes', async () => {
    const pl = await pipeline({ SLACK_WEBHOOK_URL: slack.url, SLACK_STATUSES: 'succeeded,failed' });
    const successes = Array.from({ length: 120 }, (_, i) => reachfiveReport(`job_ok${i}`, { status: 'SUCCESS', failed: 0, definition: `def_ok${i % 3}` }));
    await sendAll(pl.baseUrl, 'reachfive', successes, 30);
    const failures = Array.from({ length: 5 }, (_, i) => reachfiveReport(`job_bad${i}`, { definition: 'def_bad' }));
    await sendAll(pl.baseUrl, 'reachfive', failures, 5);
    const failureKeys = new Set(Array.from({ length: 5 }, (_, i) => `reachfive:job_bad${i}`));
    const okKeys = new Set(Array.from({ length: 120 }, (_, i) => `reachfive:job_ok${i}`));
    await waitFor(async () => countKeys(slack.texts, okKeys).size === 120 && countKeys(slack.texts, failureKeys).size === 5, 30_000, 'everything');
    // 125 alerts at 20 a message: the failures, queued last, went out with the first messages after them.
    const firstWithFailure = slack.texts.findIndex((t) => keysIn(t, failureKeys).length > 0);
    const lastWithFailure = slack.texts.map((t) => keysIn(t, failureKeys).length > 0).lastIndexOf(true);
    console.log(`[priorities] ${slack.texts.length} messages; failures in messages ${firstWithFailure}..${lastWithFailure}`);
    expect(slack.texts.length).toBeGreaterThanOrEqual(6);
    expect(lastWithFailure).toBeLessThanOrEqual(firstWithFailure + 1);
    expect(firstWithFailure).toBeLessThan(slack.texts.length - 2);
  });
});

describe('recoveries', () => {
  it('says recovered after two failed runs of a series, and keeps the incident in the database', async () => {
    const pl = await pipeline({ SLACK_WEBHOOK_URL: slack.url });
    const send = async (id: string, name: string, run: string, at: Date) => {
      expect((await sendSigned(pl.baseUrl, 'persona', personaEvent(id, name, run, { at }))).status).toBe(202);
      await waitFor(async () => keysIn(slack.texts.join('\n'), new Set([`persona:${id}`])).length === 1, 15_000, id).catch((e: unknown) => { console.log(pl.logs.lines.filter((l) => /warn|error|"level":[45]0/.test(l)).slice(-20).join('\n'), JSON.stringify(slack.requests.slice(-3))); throw e; });
    };
    await send('evt_f1', 'importer-pipeline-run.errored', 'mprtpr_run1', ago(30_000));
    await send('evt_f2', 'importer-pipeline-run.errored', 'mprtpr_run2', ago(20_000));
    await send('evt_ok', 'importer-pipeline-run.completed', 'mprtpr_run3', ago(10_000));
    const [first, second, recovered] = slack.texts;
    expect(first).toMatch(/FAILED/);
    expect(second).toMatch(/2nd/);
    expect(recovered).toMatch(/RECOVERED/);
    expect(recovered).toContain('Nightly CRM sync');
    expect(recovered).toMatch(/2 failed runs/);
    const { rows } = await pl.db.query<{ kind: string; runs_failed: number; resolved_at: Date | null; series_id: string }>(
      'select kind, runs_failed, resolved_at, series_id from incidents',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'failing', runs_failed: 2, series_id: 'mprtp_PIPE1' });
    expect(rows[0]?.resolved_at).not.toBeNull();
  });

  it('a duplicated and out-of-order lifecycle changes nothing twice', async () => {
    const pl = await pipeline({ SLACK_WEBHOOK_URL: slack.url });
    const bodies = [
      personaEvent('evt_o3', 'importer-pipeline-run.completed', 'mprtpr_o2', { at: ago(10_000) }),
      personaEvent('evt_o1', 'importer-pipeline-run.errored', 'mprtpr_o1', { at: ago(30_000) }),
      personaEvent('evt_o1', 'importer-pipeline-run.errored', 'mprtpr_o1', { at: ago(30_000) }),
    ];
    // The success is stored first (received first): the failure that occurred before it arrives late.
    // (Sent back to back, the two could be written in either order, and in occurred_at order the
    // failure would rightly open an incident that the success resolves.)
    const [success, ...failures] = bodies;
    await sendSigned(pl.baseUrl, 'persona', success ?? '');
    await waitFor(async () => Number((await pl.db.query<{ n: string }>(`select count(*) as n from webhook_events`)).rows[0]?.n) === 1, 15_000, 'the success stored');
    for (const body of failures) await sendSigned(pl.baseUrl, 'persona', body);
    await waitFor(async () => keysIn(slack.texts.join('\n'), new Set(['persona:evt_o1'])).length === 1, 15_000, 'the failure');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The late failure is older than the series' success: reported, but opens no incident.
    expect(countKeys(slack.texts, new Set(['persona:evt_o1', 'persona:evt_o3']))).toEqual(new Map([['persona:evt_o1', 1]]));
    const { rows } = await pl.db.query('select * from incidents');
    expect(rows).toHaveLength(0);
  });
});

describe('stuck runs', () => {
  it('reports a run stuck past its threshold once, with two worker processes, and its end resolves it', async () => {
    const env = { SLACK_WEBHOOK_URL: slack.url, STUCK_AFTER_SECONDS: '5', STUCK_CHECK_INTERVAL_SECONDS: '1' };
    const pl = await pipeline(env);
    // A second worker process' worth of workers on the same queues and database.
    extraWorkers.push(await startWorkers({ config: pl.config, logger: createLogger('silent'), metrics: createMetrics({ defaultMetrics: false }), db: pl.db }));
    expect((await sendSigned(pl.baseUrl, 'persona', personaEvent('evt_s1', 'importer-pipeline-run.started', 'mprtpr_stuck', { at: ago(60_000) }))).status).toBe(202);
    const stuck = await waitFor(async () => slack.texts.find((t) => /stuck/i.test(t)), 20_000, 'the stuck report');
    expect(stuck).toContain('persona');
    expect(stuck).toContain('mprtpr_stuck');
    // Several more checks run meanwhile, on both workers.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(slack.texts.filter((t) => /stuck/i.test(t))).toHaveLength(1);

    expect((await sendSigned(pl.baseUrl, 'persona', personaEvent('evt_s2', 'importer-pipeline-run.completed', 'mprtpr_stuck'))).status).toBe(202);
    const ended = await waitFor(async () => slack.texts.find((t) => t.includes('persona:evt_s2')), 15_000, 'the end of the stuck run');
    expect(ended).toMatch(/stuck for/i);
    const { rows } = await pl.db.query<{ kind: string; resolved_at: Date | null }>(`select kind, resolved_at from incidents where kind = 'stuck'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.resolved_at).not.toBeNull();
  }, 60_000);
});
