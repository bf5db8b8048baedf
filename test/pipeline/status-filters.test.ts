import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { createTestDatabase, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { SmtpStandIn } from '../support/smtp-stand-in.ts';

let slack: SlackStandIn;
let smtp: SmtpStandIn;
let schema: Awaited<ReturnType<typeof createTestDatabase>>;
let p: TestPipeline;

describe('SLACK_STATUSES and EMAIL_STATUSES', () => {
  beforeAll(async () => {
    slack = await new SlackStandIn().start();
    smtp = await new SmtpStandIn().start();
    schema = await createTestDatabase();
    p = await startTestPipeline({
      ...schema.env,
      SLACK_WEBHOOK_URL: slack.url,
      SLACK_STATUSES: 'failed,partial',
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'hookline@example.com',
      EMAIL_TO: 'oncall@example.com',
      EMAIL_STATUSES: 'failed',
    });
  });
  afterAll(async () => {
    await p.close();
    await schema.drop();
    await slack.stop();
    await smtp.stop();
  });

  it('send each sink only the statuses it asked for, while the database keeps every event', async () => {
    await sendSigned(p.baseUrl, 'reachfive', fixture('reachfive', 'import.success-with-failures')); // partial
    await sendSigned(p.baseUrl, 'reachfive', fixture('reachfive', 'export.failure')); // failed
    await sendSigned(p.baseUrl, 'personaclick', fixture('personaclick', 'import_products.success')); // succeeded
    await waitFor(async () => {
      const { rows } = await p.db.query<{ n: string }>('select count(*) as n from webhook_events');
      return Number(rows[0]?.n) === 3;
    });
    await waitFor(async () => slack.requests.length === 2 && smtp.messages.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.requests).toHaveLength(2);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]?.subject).toMatch(/failed/i);
    expect(await p.queues.email.getJobCounts('completed', 'failed', 'waiting')).toEqual({ completed: 1, failed: 0, waiting: 0 });
  });
});
