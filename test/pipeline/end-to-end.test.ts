import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/normalizers/normalized-event.ts';
import { PROVIDER_IDS } from '../../src/providers/registry.ts';
import { fixture, fixtures } from '../support/fixtures.ts';
import { createTestDatabase, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { SmtpStandIn } from '../support/smtp-stand-in.ts';
import { countKeys } from '../support/alert-keys.ts';


let slack: SlackStandIn;
let smtp: SmtpStandIn;
let schema: Awaited<ReturnType<typeof createTestDatabase>>;
let p: TestPipeline;

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  smtp = await new SmtpStandIn().start();
});
afterAll(async () => {
  await slack.stop();
  await smtp.stop();
});

beforeEach(async () => {
  slack.reset();
  smtp.messages.length = 0;
  schema = await createTestDatabase();
  p = await startTestPipeline({
    ...schema.env,
    SLACK_WEBHOOK_URL: slack.url,
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'hookline@example.com',
    EMAIL_TO: 'oncall@example.com,data-team@example.com',
    // Every status, so that every sample is an alert (the default is failed,partial).
    SLACK_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
    EMAIL_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
  });
});
afterEach(async () => {
  await p.close();
  await schema.drop();
});

async function rowCount(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await p.db.query<{ n: string | number }>(`select count(*) as n from ${table} where ${where}`, params);
  return Number(rows[0]?.n ?? 0);
}

async function settled(expected: { rows: number; slack: number; email: number }): Promise<void> {
  await waitFor(async () => (await rowCount('webhook_events')) >= expected.rows, 20_000, `${expected.rows} rows`);
  await waitFor(async () => slack.delivered.length >= expected.slack, 20_000, `${expected.slack} Slack messages`);
  await waitFor(async () => smtp.messages.length >= expected.email, 20_000, `${expected.email} emails`);
  // A little longer, so that anything delivered twice would show.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe('POST → row, Slack message, email', () => {
  it('delivers every provider sample to all three sinks, once each', { timeout: 90_000 }, async () => {
    const samples = PROVIDER_IDS.flatMap((provider) =>
      fixtures(provider)
        .filter(({ name }) => name !== 'connection-test')
        .map(({ body }) => ({ provider, body })),
    );
    const keys = new Set<string>();
    for (const { provider, body } of samples) {
      const answer = await sendSigned(p.baseUrl, provider, body);
      expect(answer.status).toBe(202);
      keys.add(String(answer.body.id));
    }
    // Sent back to back, they outpace Slack (1 a second) and email (6 a minute): digests carry them.
    await waitFor(async () => (await rowCount('webhook_events')) >= samples.length, 20_000, 'rows');
    await waitFor(async () => countKeys(slack.texts, keys).size === keys.size, 30_000, 'every sample in Slack');
    await waitFor(async () => countKeys(smtp.messages.map((m) => m.text ?? ''), keys).size === keys.size, 60_000, 'every sample in email');
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    expect(await rowCount('webhook_events')).toBe(samples.length);
    expect([...countKeys(slack.texts, keys).values()].every((n) => n === 1)).toBe(true);
    expect([...countKeys(smtp.messages.map((m) => m.text ?? ''), keys).values()].every((n) => n === 1)).toBe(true);
    expect(slack.delivered.length).toBeLessThan(samples.length);

    const { rows } = await p.db.query<{ event: NormalizedEvent; raw: unknown; status: string }>(
      `select event, raw, status from webhook_events where id = $1`,
      ['persona:evt_ABC123DEF456GHI789JKL012MNO345'],
    );
    expect(rows[0]?.status).toBe('failed');
    expect(rows[0]?.event.summary).toContain('Customer Data Import');
    expect(rows[0]?.raw).toEqual(JSON.parse(fixture('persona', 'importer-pipeline-run.errored')));

    const personaMessage = slack.requests.find((r) => String(r.body.text).includes('mprtpr_ABC123DEF456'));
    expect(String(personaMessage?.body.text)).toMatch(/failed/i);
    expect(Array.isArray(personaMessage?.body.blocks)).toBe(true);
    const personaMail = smtp.messages.find((m) => m.subject?.includes('mprtpr_ABC123DEF456') || m.text?.includes('mprtpr_ABC123DEF456'));
    expect(personaMail?.subject).toMatch(/failed/i);
    expect(personaMail?.subject).toMatch(/persona/i);
    expect(personaMail?.text).toBeTruthy();
    expect(personaMail?.html).toBeTruthy();
  });

  it('delivers a duplicate once: one row, one message, one email', async () => {
    const body = fixture('reachfive', 'export.failure');
    expect((await sendSigned(p.baseUrl, 'reachfive', body)).status).toBe(202);
    expect((await sendSigned(p.baseUrl, 'reachfive', body)).status).toBe(200);
    await settled({ rows: 1, slack: 1, email: 1 });
    expect(await rowCount('webhook_events')).toBe(1);
    expect(slack.delivered).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('ends an out-of-order lifecycle with the latest status in job_runs', async () => {
    const completed = fixture('persona', 'importer-pipeline-run.completed');
    const started = completed
      .replace('evt_7Hn2pLs9QaW1Xc4Vb8Nm0Kj2', 'evt_started_first')
      .replace('importer-pipeline-run.completed', 'importer-pipeline-run.started')
      .replace('2024-01-16T02:14:09.118Z', '2024-01-16T02:00:00.500Z');
    expect((await sendSigned(p.baseUrl, 'persona', completed)).status).toBe(202);
    await waitFor(async () => (await rowCount('webhook_events')) === 1);
    expect((await sendSigned(p.baseUrl, 'persona', started)).status).toBe(202);
    await waitFor(async () => (await rowCount('webhook_events')) === 2);

    const { rows } = await p.db.query<{ status: string; event_id: string }>(
      `select status, event_id from job_runs where provider = 'persona' and subject_id = 'mprtpr_XYZ789GHI012'`,
    );
    expect(rows).toEqual([{ status: 'succeeded', event_id: 'persona:evt_7Hn2pLs9QaW1Xc4Vb8Nm0Kj2' }]);
  });

  it('keeps an authenticated event it cannot normalize, with its raw body and the reason, and can replay it', async () => {
    const body = JSON.stringify({ eventId: 'evt_unknown_type', eventType: 'billing.invoice.paid', data: {} });
    expect((await sendSigned(p.baseUrl, 'plextera', body)).status).toBe(202);
    const failed = await waitFor(async () => (await p.queues.ingest.getFailed())[0]);
    expect(failed.data.body).toBe(body);
    expect(failed.failedReason).toMatch(/billing\.invoice\.paid/);
    expect(failed.attemptsMade).toBe(1);

    await failed.retry('failed', { resetAttemptsMade: true });
    await waitFor(async () => {
      const again = await p.queues.ingest.getJob(failed.id ?? '');
      return (await again?.getState()) === 'failed' && again?.finishedOn !== failed.finishedOn;
    });
    expect(await rowCount('webhook_events')).toBe(0);
    expect(slack.requests).toHaveLength(0);
  });

  it('does not post again when a delivered job is replayed', async () => {
    expect((await sendSigned(p.baseUrl, 'primer', fixture('primer', 'workflow-run-failed'))).status).toBe(202);
    await settled({ rows: 1, slack: 1, email: 1 });
    for (const queue of [p.queues.slack, p.queues.email, p.queues.database]) {
      const [job] = await queue.getCompleted();
      await job?.retry('completed');
    }
    await waitFor(async () => (await p.queues.slack.getCompleted()).some((job) => job.returnvalue?.reason === 'already delivered'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.delivered).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
    expect(await rowCount('webhook_events')).toBe(1);
  });
});

describe('each sink fails and retries on its own', () => {
  const body = () => fixture('plextera', 'document-insights.extraction.failed');

  it('retries Slack after a 500 without re-sending the email or the row', async () => {
    slack.answerNext({ status: 500, body: 'rollup_error' });
    expect((await sendSigned(p.baseUrl, 'plextera', body())).status).toBe(202);
    await settled({ rows: 1, slack: 1, email: 1 });
    expect(slack.requests).toHaveLength(2);
    expect(slack.delivered).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
    expect(await rowCount('webhook_events')).toBe(1);
  });

  it('dead-letters a Slack 400 at once, and the email and row are delivered', async () => {
    slack.answerNext({ status: 400, body: 'invalid_payload' });
    expect((await sendSigned(p.baseUrl, 'plextera', body())).status).toBe(202);
    const dead = await waitFor(async () => (await p.queues.slack.getFailed())[0]);
    expect(dead.attemptsMade).toBe(1);
    expect(dead.failedReason).toMatch(/invalid_payload/);
    await waitFor(async () => smtp.messages.length === 1 && (await rowCount('webhook_events')) === 1);
    expect(slack.requests).toHaveLength(1);
  });

  it('honours a Slack 429 Retry-After without spending an attempt', async () => {
    slack.answerNext({ status: 429, headers: { 'retry-after': '1' } });
    const sent = Date.now();
    expect((await sendSigned(p.baseUrl, 'plextera', body())).status).toBe(202);
    await settled({ rows: 1, slack: 1, email: 1 });
    const [first, second] = slack.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(900);
    const [job] = await p.queues.slack.getCompleted();
    expect(job?.attemptsMade).toBe(1);
    expect(Date.now() - sent).toBeLessThan(15_000);
  });

  it('retries an SMTP 451 and delivers the email once; Slack is untouched', async () => {
    smtp.failNext({ at: 'data', responseCode: 451, message: 'Temporary local problem' });
    expect((await sendSigned(p.baseUrl, 'plextera', body())).status).toBe(202);
    await settled({ rows: 1, slack: 1, email: 1 });
    expect(smtp.messages).toHaveLength(1);
    expect(slack.requests).toHaveLength(1);
  });

  it('dead-letters an SMTP 550 without retrying; Slack and the row are delivered', async () => {
    // Both recipients refused: a partial refusal still counts as delivered to the others.
    const refused = { at: 'rcpt', responseCode: 550, message: 'No such user' } as const;
    smtp.failNext(refused, refused);
    expect((await sendSigned(p.baseUrl, 'plextera', body())).status).toBe(202);
    const dead = await waitFor(async () => (await p.queues.email.getFailed())[0]);
    expect(dead.attemptsMade).toBe(1);
    await waitFor(async () => slack.delivered.length === 1 && (await rowCount('webhook_events')) === 1);
    expect(smtp.messages).toHaveLength(0);
  });
});
