import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeadLetters } from '../../src/replay/dead-letters.ts';
import { openReplayQueues, type OpenReplayQueues } from '../../src/replay/replay-queues.ts';
import { replayDeadLetters } from '../../src/replay/replay.ts';
import { parseTimeInput } from '../../src/replay/time-input.ts';
import { fixture } from '../support/fixtures.ts';
import { startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';

const PRIMER_KEY = 'primer:WORKFLOW_RUN.FAILED:bbb1c3cc-805d-4d97-826e-ef8d4cc3d2a2';
const REACHFIVE_KEY = 'reachfive:AXR4pQ7vL1nYq9Wr5am';
const UNKNOWN_KEY = 'plextera:evt_unknown_type';

let slack: SlackStandIn;
let p: TestPipeline;
let queues: OpenReplayQueues;
let before: Date;

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  p = await startTestPipeline({ DATA_DIR: "memory://", SLACK_WEBHOOK_URL: slack.url });
  queues = openReplayQueues(p.config.redisUrl, p.config.queuePrefix);
  before = new Date(Date.now() - 1_000);
  // Two Slack refusals (one per event), and one event nobody can normalize.
  slack.answerNext({ status: 400, body: 'invalid_payload' }, { status: 400, body: 'invalid_payload' });
  expect((await sendSigned(p.baseUrl, 'primer', fixture('primer', 'workflow-run-failed'))).status).toBe(202);
  expect((await sendSigned(p.baseUrl, 'reachfive', fixture('reachfive', 'export.failure'))).status).toBe(202);
  const unknown = JSON.stringify({ eventId: 'evt_unknown_type', eventType: 'billing.invoice.paid', data: {} });
  expect((await sendSigned(p.baseUrl, 'plextera', unknown)).status).toBe(202);
  await waitFor(async () => (await p.queues.slack.getFailedCount()) === 2 && (await p.queues.ingest.getFailedCount()) === 1, 15_000, 'dead letters');
});
afterAll(async () => {
  await queues?.close();
  await p?.close();
  await slack?.stop();
});

describe('dead letters', () => {
  it('lists failed deliveries and unnormalizable events, with what failed', async () => {
    const letters = await findDeadLetters(queues);
    expect(letters.map((letter) => [letter.queue, letter.eventKey]).sort()).toEqual(
      [
        ['deliver-slack', PRIMER_KEY],
        ['deliver-slack', REACHFIVE_KEY],
        ['ingest', UNKNOWN_KEY],
      ].sort(),
    );
    const ingest = letters.find((letter) => letter.kind === 'ingest');
    expect(ingest?.error).toMatch(/billing\.invoice\.paid/);
    expect(ingest?.rawBody).toContain('evt_unknown_type');
  });

  it('filters by key, provider, sink and time window', async () => {
    const keys = async (filter: Parameters<typeof findDeadLetters>[1]) => (await findDeadLetters(queues, filter)).map((letter) => letter.eventKey).sort();
    expect(await keys({ key: PRIMER_KEY })).toEqual([PRIMER_KEY]);
    expect(await keys({ provider: 'reachfive' })).toEqual([REACHFIVE_KEY]);
    expect(await keys({ sinks: ['ingest'] })).toEqual([UNKNOWN_KEY]);
    expect(await keys({ sinks: ['email', 'database'] })).toEqual([]);
    expect(await keys({ since: before })).toHaveLength(3);
    expect(await keys({ until: before })).toEqual([]);
    expect(await keys({ since: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it('replays nothing on a dry run', async () => {
    const outcome = await replayDeadLetters(queues, { provider: 'primer' }, { dryRun: true });
    expect(outcome.replayed.map((letter) => letter.eventKey)).toEqual([PRIMER_KEY]);
    expect(await p.queues.slack.getFailedCount()).toBe(2);
  });

  it('replays one event by key; the delivery goes through and the other dead letters stay', async () => {
    const outcome = await replayDeadLetters(queues, { key: PRIMER_KEY });
    expect(outcome.replayed).toHaveLength(1);
    await waitFor(async () => slack.delivered.some((r) => String(r.body.text).includes('bbb1c3cc')), 15_000, 'the replayed message');
    expect(await p.queues.slack.getFailedCount()).toBe(1);
    // Replaying it again finds nothing: it is delivered, not dead.
    expect((await replayDeadLetters(queues, { key: PRIMER_KEY })).replayed).toHaveLength(0);
  });

  it('replays an unnormalizable event, which fails again while nobody can normalize it', async () => {
    const [job] = await p.queues.ingest.getFailed();
    const outcome = await replayDeadLetters(queues, { sinks: ['ingest'] });
    expect(outcome.replayed.map((letter) => letter.eventKey)).toEqual([UNKNOWN_KEY]);
    await waitFor(async () => {
      const again = await p.queues.ingest.getJob(job?.id ?? '');
      return (await again?.getState()) === 'failed' && again?.finishedOn !== job?.finishedOn;
    });
  });
});

describe('time input', () => {
  it('reads ages and ISO times, and nothing else', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(parseTimeInput('15m', now)?.toISOString()).toBe('2026-01-01T11:45:00.000Z');
    expect(parseTimeInput('2d', now)?.toISOString()).toBe('2025-12-30T12:00:00.000Z');
    expect(parseTimeInput('2026-01-01T10:00:00Z', now)?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(parseTimeInput('yesterday', now)).toBeUndefined();
    expect(parseTimeInput('12', now)).toBeUndefined();
  });
});
