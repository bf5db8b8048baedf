import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmailConfig } from '../../src/config/config.ts';
import { EVENT_STATUSES } from '../../src/normalizers/normalized-event.ts';
import { SinkError } from '../../src/shared/errors.ts';
import { createEmailSink } from '../../src/sinks/email.ts';
import type { AlertSink } from '../../src/sinks/sink.ts';
import { freePort } from '../support/services.ts';
import { SmtpStandIn, type SmtpFailure } from '../support/smtp-stand-in.ts';
import { sampleEvent, sampleRaw } from './sample-event.ts';

let smtp: SmtpStandIn;
let sink: AlertSink;
beforeAll(async () => {
  smtp = await new SmtpStandIn().start();
});
afterAll(async () => {
  await smtp.stop();
});

const config = (overrides: Partial<EmailConfig> = {}): EmailConfig => {
  const statuses = overrides.statuses ?? new Set(EVENT_STATUSES);
  return {
    kind: 'email',
    id: 'email',
    source: 'EMAIL_TO',
    smtpUrl: smtp.url,
    from: 'hookline@example.com',
    to: ['oncall@example.com', 'data-team@example.com'],
    statuses,
    filter: { providers: undefined, categories: undefined, statuses },
    maxPerMinute: 6,
    digestMax: 50,
    ...overrides,
  };
};
const event = sampleEvent();
const delivery = [{ kind: 'event' as const, event }];
void sampleRaw;

beforeEach(() => {
  smtp.messages.length = 0;
  sink = createEmailSink(config());
});
afterEach(async () => {
  await sink.close();
});

/** Fails every recipient (RCPT) or the message (DATA). */
async function failure(fail: SmtpFailure): Promise<SinkError> {
  if (fail.at === 'rcpt') smtp.failNext(fail, fail);
  else smtp.failNext(fail);
  const error = await sink.send(delivery, AbortSignal.timeout(10_000)).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SinkError);
  expect((error as SinkError).sink).toBe('email');
  return error as SinkError;
}

describe('email sink', () => {
  it('accepts only the configured statuses', () => {
    const filtered = createEmailSink(config({ statuses: new Set(['failed']) }));
    expect(filtered.accepts({ kind: 'event', event: sampleEvent({ status: 'failed' }) })).toBe(true);
    expect(filtered.accepts({ kind: 'event', event: sampleEvent({ status: 'partial' }) })).toBe(false);
    void filtered.close();
  });

  it('sends one message with subject, text and HTML parts, a deterministic Message-ID and the event id header', async () => {
    await sink.send(delivery, AbortSignal.timeout(10_000));
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('[hookline] FAILED · persona · Nightly CRM sync · run mprtpr_ABC123DEF456');
    expect(mail.messageId).toBe('<persona=3Aevt_ABC123DEF456@hookline>');
    expect(mail.headers.get('x-hookline-event-id')).toBe('persona:evt_ABC123DEF456');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.from?.text).toBe('hookline@example.com');
    const to = Array.isArray(mail.to) ? mail.to : [mail.to];
    expect(to.flatMap((address) => address?.value.map((v) => v.address))).toEqual(['oncall@example.com', 'data-team@example.com']);
    expect(mail.text).toContain('Row 7: email is not valid');
    expect(mail.text).toContain('mprtpr_ABC123DEF456');
    expect(mail.html).toContain('<table');
    expect(mail.html).toContain('Customer Data Import (mprtpr_ABC123DEF456)');
  });

  it('reuses pooled connections for several messages', async () => {
    const events = ['a', 'b', 'c', 'd'].map((id) => sampleEvent({ id: `persona:${id}` }));
    await Promise.all(events.map((e) => sink.send([{ kind: 'event', event: e }], AbortSignal.timeout(10_000))));
    expect(smtp.messages.map((m) => m.messageId).sort()).toEqual(['a', 'b', 'c', 'd'].map((id) => `<persona=3A${id}@hookline>`));
  });

  it.each([
    [451, 'rcpt' as const],
    [421, 'data' as const],
    [452, 'data' as const],
  ])('SMTP %i at %s is retryable', async (responseCode, at) => {
    const error = await failure({ responseCode, message: 'try again later', at });
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(String(responseCode));
    // The pool is still usable afterwards.
    await sink.send(delivery, AbortSignal.timeout(10_000));
    expect(smtp.messages).toHaveLength(1);
  });

  it.each([
    [550, 'rcpt' as const],
    [554, 'data' as const],
  ])('SMTP %i at %s is permanent', async (responseCode, at) => {
    const error = await failure({ responseCode, message: 'no such user', at });
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(String(responseCode));
  });

  it('a recipient refused while another accepts is a delivery (a retry would duplicate it)', async () => {
    smtp.failNext({ responseCode: 550, message: 'no such user', at: 'rcpt' });
    await sink.send(delivery, AbortSignal.timeout(10_000));
    expect(smtp.messages).toHaveLength(1);
  });

  it('a refused connection is retryable, and the password never shows', async () => {
    const port = await freePort();
    const unreachable = createEmailSink(config({ smtpUrl: `smtp://mailer:pa55-w0rd@127.0.0.1:${port}` }));
    try {
      const error = await unreachable.send(delivery, AbortSignal.timeout(10_000)).then(() => undefined, (e: unknown) => e as SinkError);
      if (!error) throw new Error('expected a failure');
      expect(error).toMatchObject({ name: 'SinkError', retryable: true });
      expect(error.message).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);
      expect(error.message).not.toContain('pa55-w0rd');
      expect(error.cause).toBeUndefined();
    } finally {
      await unreachable.close();
    }
  });
});
