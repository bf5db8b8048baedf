import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SlackConfig } from '../../src/config/config.ts';
import { EVENT_STATUSES, type EventStatus } from '../../src/normalizers/normalized-event.ts';
import { SinkError } from '../../src/shared/errors.ts';
import { createSlackSink, parseRetryAfter } from '../../src/sinks/slack.ts';
import { freePort } from '../support/services.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { sampleEvent, sampleRaw } from './sample-event.ts';

let slack: SlackStandIn;
beforeAll(async () => {
  slack = await new SlackStandIn().start();
  // The sink itself posts whatever it is given; pacing is the collector's (test/alerts).
  slack.pace = undefined;
});
afterAll(async () => {
  await slack.stop();
});
beforeEach(() => {
  slack.requests.length = 0;
});

const config = (statuses: readonly EventStatus[] = EVENT_STATUSES): SlackConfig => ({
  kind: 'slack',
  id: 'slack',
  source: 'SLACK_WEBHOOK_URL',
  webhookUrl: slack.url,
  filter: { providers: undefined, categories: undefined, statuses: new Set(statuses) },
  statuses: new Set(statuses),
  maxPerSecond: 1,
  digestMax: 20,
});
const event = sampleEvent();
const delivery = [{ kind: 'event' as const, event }];
void sampleRaw;

async function failure(answer: Parameters<SlackStandIn['answerNext']>[0], options: { timeoutMs?: number } = {}): Promise<SinkError> {
  slack.answerNext(answer);
  const error = await createSlackSink(config(), options)
    .send(delivery, AbortSignal.timeout(10_000))
    .then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SinkError);
  const sinkError = error as SinkError;
  expect(sinkError.sink).toBe('slack');
  // The webhook URL is a credential: not in the message, not in a cause.
  expect(sinkError.message).not.toContain('/services/T000/B000/test');
  expect(sinkError.cause).toBeUndefined();
  return sinkError;
}

describe('Slack sink', () => {
  it('accepts only the configured statuses', () => {
    const sink = createSlackSink(config(['failed', 'partial']));
    expect(sink.accepts({ kind: 'event', event: sampleEvent({ status: 'failed' }) })).toBe(true);
    expect(sink.accepts({ kind: 'event', event: sampleEvent({ status: 'succeeded' }) })).toBe(false);
  });

  it('posts text and Block Kit blocks; 200 ok is a delivery', async () => {
    await createSlackSink(config()).send(delivery, AbortSignal.timeout(10_000));
    expect(slack.requests).toHaveLength(1);
    const body = slack.requests[0]!.body as { text: string; blocks: Array<{ type: string; fields?: unknown[] }> };
    for (const part of ['FAILED', 'persona', 'mprtpr_ABC123DEF456', 'Customer Data Import', 'Row 7: email is not valid']) {
      expect(body.text).toContain(part);
    }
    expect(body.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(body.blocks[2]?.fields?.length).toBeLessThanOrEqual(10);
  });

  it('429 is retryable after Retry-After seconds', async () => {
    const error = await failure({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(7_000);
  });

  it('429 without a usable Retry-After waits 30 s', async () => {
    expect((await failure({ status: 429, body: 'rate_limited' })).retryAfterMs).toBe(30_000);
    expect(parseRetryAfter('soon')).toBe(30_000);
    expect(parseRetryAfter(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThan(3_000);
  });

  it('5xx is retryable', async () => {
    const error = await failure({ status: 500, body: 'rollup_error' });
    expect(error).toMatchObject({ retryable: true, retryAfterMs: undefined });
    expect(error.message).toContain('rollup_error');
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [404, 'channel_not_found'],
    [410, 'channel_is_archived'],
  ])('%i %s is permanent, with what Slack said', async (status, said) => {
    const error = await failure({ status, body: said });
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`${status} ${said}`);
  });

  it('an answer that never comes is a retryable timeout', async () => {
    const started = Date.now();
    const error = await failure({ status: 200, hang: true }, { timeoutMs: 300 });
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('gives up when the caller aborts', async () => {
    slack.answerNext({ status: 200, hang: true });
    const controller = new AbortController();
    const pending = createSlackSink(config()).send(delivery, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ name: 'SinkError', retryable: true, message: expect.stringMatching(/aborted/) });
  });

  it('a refused connection is retryable and does not reveal the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}/services/TSECRET/BSECRET/xyzSecret`;
    const error = await createSlackSink({ ...config(), webhookUrl: url })
      .send(delivery, AbortSignal.timeout(10_000))
      .then(() => undefined, (e: unknown) => e as SinkError);
    if (!error) throw new Error('expected a failure');
    expect(error).toMatchObject({ name: 'SinkError', retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toMatch(/SECRET|xyzSecret/);
  });
});
