import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { countKeys } from '../support/alert-keys.ts';
import { createTestSchema, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { SmtpStandIn } from '../support/smtp-stand-in.ts';
import { reachfiveReport, sendAll } from './support.ts';

const databaseUrl = inject('databaseUrl');
const BURST = 400;

let slack: SlackStandIn;
let smtp: SmtpStandIn;
let schema: Awaited<ReturnType<typeof createTestSchema>> | undefined;
let p: TestPipeline;

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  smtp = await new SmtpStandIn().start();
  schema = databaseUrl ? await createTestSchema() : undefined;
  // The defaults a user has: Slack at 1 message per second, email at 6 per minute, failed,partial.
  p = await startTestPipeline({
    ...(schema ? { DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema } : { DATA_DIR: 'memory://' }),
    SLACK_WEBHOOK_URL: slack.url,
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'hookline@example.com',
    EMAIL_TO: 'oncall@example.com',
    LOG_LEVEL: 'info',
  });
});
afterAll(async () => {
  await p.close();
  await schema?.drop();
  await slack.stop();
  await smtp.stop();
});

describe('a burst of failures at the default pace', () => {
  it(`${BURST} ReachFive FAILURE reports reach Slack in at most ~25 messages within 30 s, and email once each`, async () => {
    const bodies = Array.from({ length: BURST }, (_, i) => reachfiveReport(`job_${i}`, { definition: `def_${i % 8}` }));
    const keys = new Set(Array.from({ length: BURST }, (_, i) => `reachfive:job_${i}`));
    const started = Date.now();
    const statuses = await sendAll(p.baseUrl, 'reachfive', bodies);
    const answeredMs = Date.now() - started;
    expect(statuses.filter((s) => s === 202)).toHaveLength(BURST);

    const slackCounts = await waitFor(
      async () => {
        const counts = countKeys(slack.texts, keys);
        return counts.size === BURST ? counts : undefined;
      },
      60_000,
      'every event in Slack',
    );
    const lastSlackMs = Math.max(...slack.delivered.map((r) => r.receivedAt)) - started;
    const emailCounts = await waitFor(
      async () => {
        const counts = countKeys(smtp.messages.map((m) => m.text ?? ''), keys);
        return counts.size === BURST ? counts : undefined;
      },
      150_000,
      'every event in email',
    );
    // A little longer: anything sent twice would show now.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const finalSlack = countKeys(slack.texts, keys);
    const finalEmail = countKeys(smtp.messages.map((m) => m.text ?? ''), keys);
    console.log(
      `[burst] ${BURST} failures answered in ${answeredMs} ms; Slack: ${slack.delivered.length} messages, last ${lastSlackMs} ms after the burst, ` +
        `${slack.rateLimited} refused for pace; email: ${smtp.messages.length} messages`,
    );
    expect([...finalSlack.values()].every((n) => n === 1)).toBe(true);
    expect([...finalEmail.values()].every((n) => n === 1)).toBe(true);
    expect(slackCounts.size).toBe(BURST);
    expect(emailCounts.size).toBe(BURST);
    expect(slack.delivered.length).toBeLessThanOrEqual(25);
    expect(lastSlackMs).toBeLessThan(30_000);
    // At most 6 emails a minute: 400 failures need 1 + 8 digests of 50.
    expect(smtp.messages.length).toBeLessThanOrEqual(10);
  }, 240_000);
});
