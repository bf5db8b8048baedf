import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { PROVIDER_IDS } from '../../src/providers/registry.ts';
import { leakedSecrets } from '../faults/support/ledger.ts';
import { fixtures } from '../support/fixtures.ts';
import { createTestSchema, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { CREDENTIALS, post, sign } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { SmtpStandIn } from '../support/smtp-stand-in.ts';

/**
 * A full run at debug level — every provider, refused requests, failing sinks — and then every
 * configured secret, token, signature and Authorization value is looked for in every log line.
 */
const databaseUrl = inject('databaseUrl');
const DB_PASSWORD = 'db-passw0rd-never-logged';
let slack: SlackStandIn;
let smtp: SmtpStandIn;
let schema: Awaited<ReturnType<typeof createTestSchema>>;
let p: TestPipeline;
const sent = new Set<string>();

beforeAll(async () => {
  if (!databaseUrl) return;
  slack = await new SlackStandIn().start();
  smtp = await new SmtpStandIn().start();
  schema = await createTestSchema();
  // The test server trusts every login, so a password in the URL is accepted and must still never show.
  const url = new URL(schema.url);
  url.password = DB_PASSWORD;
  p = await startTestPipeline({
    DATABASE_URL: url.toString(),
    DATABASE_SCHEMA: schema.schema,
    SLACK_WEBHOOK_URL: slack.url,
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'hookline@example.com',
    EMAIL_TO: 'oncall@example.com',
    LOG_LEVEL: 'trace',
    SLACK_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
    EMAIL_STATUSES: 'started,running,paused,resumed,canceled,succeeded,partial,failed',
    SLACK_ROUTES: JSON.stringify([{ url: `${slack.url.replace('/test', '/route')}`, providers: ['persona'] }]),
  });
});
afterAll(async () => {
  await p?.close();
  await schema?.drop();
  await slack?.stop();
  await smtp?.stop();
});

it.skipIf(!databaseUrl)('no log line of a full run holds a secret, token, signature or Authorization value', { timeout: 150_000 }, async () => {
  slack.answerNext({ status: 500, body: 'oops' }, { status: 429, headers: { 'retry-after': '1' } }, { status: 403, body: 'invalid_token' });
  smtp.failNext({ responseCode: 451, message: 'try again later', at: 'rcpt' });
  let accepted = 0;
  for (const provider of PROVIDER_IDS) {
    for (const { body } of fixtures(provider)) {
      for (const credential of CREDENTIALS[provider]) {
        const signed = sign(provider, body, { credential });
        for (const value of [...Object.values(signed.headers), ...Object.values(signed.query)]) sent.add(value);
        const answer = await post(p.baseUrl, provider, body, signed);
        if (answer.status === 202) accepted++;
      }
      // Refused requests: a wrong credential, and a right one on a tampered body.
      const wrong = sign(provider, body, { credential: `${CREDENTIALS[provider][0]}-wrong` });
      for (const value of [...Object.values(wrong.headers), ...Object.values(wrong.query)]) sent.add(value);
      expect((await post(p.baseUrl, provider, body, wrong)).status).toBe(401);
      // Header-only credentials do not cover the body: those are accepted (or duplicates); signatures refuse it.
      expect([200, 202, 401]).toContain((await post(p.baseUrl, provider, `${body} `, sign(provider, body))).status);
    }
  }
  expect(accepted).toBeGreaterThan(10);
  // Every alert delivered or dead-lettered, alone or in digests, at Slack's and email's real pace.
  const drained = (queue: typeof p.queues.slack) => async () => {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    const n = (state: string) => c[state] ?? 0;
    return n('completed') + n('failed') >= accepted && n('waiting') + n('prioritized') + n('active') + n('delayed') === 0;
  };
  await waitFor(drained(p.queues.slack), 60_000, 'Slack deliveries');
  await waitFor(drained(p.queues.email), 90_000, 'emails');

  const routeUrl = slack.url.replace('/test', '/route');
  const secrets = [...Object.values(CREDENTIALS).flat(), slack.url, new URL(slack.url).pathname, routeUrl, new URL(routeUrl).pathname, DB_PASSWORD, ...sent];
  expect(p.logs.lines.length).toBeGreaterThan(50);
  // The grep itself finds what it should: a line with a signature's hex part is reported.
  const signature = [...sent].find((value) => value.startsWith('t='))!;
  expect(leakedSecrets([`oops ${signature.split('v1=')[1]}`], [signature])).toHaveLength(1);
  expect(leakedSecrets(p.logs.lines, secrets)).toEqual([]);
});
