import { describe, expect, it } from 'vitest';
import { buildEmailMessage, emailSubject, escapeHtml, messageIdFor } from '../../src/sinks/email-message.ts';
import { flat } from '../../src/shared/text.ts';
import { SAMPLE_NOW, SERIES, eventItem, fixtureEvents, occurrences, sampleEvent, stuckItem } from './sample-event.ts';

/** The normalizers' fallback messages, which only restate the summary (see slack-message.test.ts). */
const RESTATEMENTS = new Set([
  'bulk campaign failed',
  'RFM segment recalculation failed',
  'dynamic segment recalculation failed',
  'workflow run failed',
  'export job failed',
  'extraction rejected',
]);

const recovered = { incidentId: 'inc_1', series: SERIES, runsFailed: 2, since: '2024-01-16T02:14:09.118Z' };

describe('emailSubject', () => {
  it('names status, provider, the workflow and the run', () => {
    expect(emailSubject(eventItem())).toBe('[hookline] FAILED · persona · Nightly CRM sync · run mprtpr_ABC123DEF456');
    expect(emailSubject(eventItem({ parent: undefined }))).toBe('[hookline] FAILED · persona · Customer Data Import · run mprtpr_ABC123DEF456');
    expect(emailSubject(eventItem({ status: 'partial', provider: 'reachfive', subject: { id: 'job-42' }, parent: undefined }))).toBe(
      '[hookline] PARTIAL · reachfive · job-42',
    );
  });

  it('says RECOVERED, STUCK, and the n-th failure', () => {
    expect(emailSubject(eventItem({ status: 'succeeded', error: undefined }, { recovered }))).toBe(
      '[hookline] RECOVERED · persona · Nightly CRM sync · run mprtpr_ABC123DEF456',
    );
    expect(
      emailSubject(eventItem({}, { failing: { incidentId: 'i', series: SERIES, failureNumber: 3, since: '2024-01-14T00:00:00.000Z' } })),
    ).toBe('[hookline] FAILED · persona · Nightly CRM sync · run mprtpr_ABC123DEF456 · 3rd failure');
    expect(emailSubject(stuckItem(), { now: SAMPLE_NOW })).toBe('[hookline] STUCK · persona · Nightly CRM sync · run mprtpr_RUN9 · no event for 6 h 12 min');
  });

  it('keeps the subject one bounded line, whatever the name holds', () => {
    for (const item of [
      eventItem({ subject: { id: 'x\r\nBcc: victim@example.com', name: 'n'.repeat(500) } }),
      eventItem({ parent: { id: 'p', name: 'Sync\r\nBcc: victim@example.com' } }),
      eventItem({}, { failing: { incidentId: 'i', series: { id: 's', name: 'a\nBcc: b\u2028c'.repeat(60) }, failureNumber: 2, since: '2024-01-14T00:00:00.000Z' } }),
      stuckItem({ subject: { id: 'r\n\rBcc: v'.repeat(40), name: 'n\n'.repeat(300) } }),
    ]) {
      const subject = emailSubject(item);
      expect(subject).not.toMatch(/[\r\n\u2028]/);
      expect(subject.length).toBeLessThanOrEqual(200);
    }
  });
});

describe('buildEmailMessage', () => {
  it('lists every field in the text part and escapes them in the HTML table', () => {
    const message = buildEmailMessage(
      eventItem({ summary: 'Import <script>alert(1)</script> & "friends" failed', error: { message: '<img src=x onerror=alert(1)>' } }),
    );
    for (const label of ['Status:', 'Provider:', 'Subject:', 'Parent:', 'Counts:', 'Error:', 'Occurred:', 'Event id:']) {
      expect(message.text).toContain(label);
    }
    expect(message.text).toContain('<script>alert(1)</script>'); // plain text is shown as is
    expect(message.text).toContain('Occurred: 2024-01-16 02:14 UTC');
    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<img');
    expect(message.html).toContain('Import &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot; failed');
    expect(message.html).toContain('<th');
  });

  it('says the error once in the text part', () => {
    const message = buildEmailMessage(eventItem());
    expect(occurrences(message.text, 'Row 7: email is not valid')).toBe(1);
    expect(message.text).toMatch(/^Error: +\[E_ROWS\] step validate$/m);
    const other = buildEmailMessage(eventItem({ summary: 'Persona import "Customer Data Import" failed' }));
    expect(occurrences(other.text, 'Row 7: email is not valid')).toBe(1);
    expect(other.text).toMatch(/^Error: +\[E_ROWS\] step validate: Row 7: email is not valid$/m);
  });

  it('says the error of every fixture exactly once in the text part', () => {
    const samples = fixtureEvents().filter(({ event }) => event.error);
    expect(samples.length).toBeGreaterThan(15);
    for (const { name, event } of samples) {
      const { text, html } = buildEmailMessage({ kind: 'event', event });
      const expected = RESTATEMENTS.has(event.error!.message) ? 0 : 1;
      expect(occurrences(text, flat(event.error!.message)), `${name}\n${text}`).toBe(expected);
      expect(occurrences(html, escapeHtml(flat(event.error!.message))), name).toBe(expected);
      expect(text, name).toContain(event.summary);
    }
  });

  it('flattens CR/LF in every user-provided value, so no line of the text part looks like a header of theirs', () => {
    const evil = 'ok\r\nBcc: victim@example.com\nSubject: free money\u2028X-Injected: 1';
    const items = [
      eventItem({
        subject: { id: evil, name: evil },
        parent: { id: evil, name: evil },
        summary: evil,
        type: evil,
        error: { message: evil, code: evil, step: evil },
        id: `persona:${evil}`,
      }, { failing: { incidentId: evil, series: { id: evil, name: evil }, failureNumber: 4, since: '2024-01-14T00:00:00.000Z' } }),
      stuckItem({ subject: { id: evil, name: evil }, parent: { id: evil, name: evil }, lastEventId: evil, incidentId: evil }),
    ];
    for (const item of items) {
      const message = buildEmailMessage(item, { now: SAMPLE_NOW, publicUrl: 'https://hookline.example.com' });
      for (const line of message.text.split('\n')) expect(line).not.toMatch(/^(Bcc:|Subject: free money|X-Injected:)/);
      expect(message.text).not.toMatch(/[\r\u2028]/);
      for (const value of [message.subject, ...Object.values(message.headers)]) expect(value).not.toMatch(/[\r\n\u2028]/);
    }
  });

  it('says RECOVERED with the series, the failed runs and since when; and how long a run was stuck', () => {
    const unstuck = { incidentId: 'inc_2', lastActivityAt: '2024-01-15T19:11:00.000Z', stuckForSeconds: 7 * 3600 + 3 * 60 };
    const message = buildEmailMessage(eventItem({ status: 'succeeded', error: undefined, summary: "Persona import 'Nightly CRM sync' succeeded" }, { recovered, unstuck }));
    expect(message.text).toMatch(/^RECOVERED · persona · Nightly CRM sync\n/);
    expect(message.text).toContain('Nightly CRM sync recovered after 2 failed runs since 2024-01-16 02:14 UTC.');
    expect(message.text).toContain('Finished after being stuck for 7 h 3 min');
    expect(message.html).toContain('recovered after 2 failed runs since 2024-01-16 02:14 UTC');
  });

  it('marks the n-th failure, plainly the first', () => {
    const failing = (failureNumber: number) =>
      buildEmailMessage(eventItem({}, { failing: { incidentId: 'i', series: SERIES, failureNumber, since: '2024-01-14T02:14:00.000Z' } })).text;
    expect(failing(3)).toContain('3rd failed run of Nightly CRM sync since 2024-01-14 02:14 UTC.');
    expect(failing(1)).toContain('First failure of Nightly CRM sync.');
  });

  it('describes a stuck run', () => {
    const message = buildEmailMessage(stuckItem(), { now: SAMPLE_NOW });
    expect(message.text).toMatch(/^STUCK · persona · Nightly CRM sync\n/);
    expect(message.text).toContain('Stuck: no event for 6 h 12 min.');
    expect(message.text).toMatch(/^Last event id: +persona:evt_LAST9$/m);
    expect(message.text).toMatch(/^Subject: +Customer Data Import \(mprtpr_RUN9\)$/m);
    expect(message.headers['X-Hookline-Status']).toBe('stuck');
    expect(message.headers['X-Hookline-Event-Id']).toBe('persona:evt_LAST9');
    expect(message.messageId).toBe(messageIdFor('stuck:inc_STUCK1'));
  });

  it('says when an event occurred long before hookline received it', () => {
    const late = buildEmailMessage(eventItem({ receivedAt: '2024-01-16T05:19:40.000Z' }));
    expect(late.text).toContain('Occurred 3 h 5 min before hookline received it.');
    expect(buildEmailMessage(eventItem({ receivedAt: '2024-01-16T02:20:00.000Z' })).text).not.toContain('before hookline received it');
  });

  it('links to the event page iff PUBLIC_URL is set', () => {
    const url = 'https://hookline.example.com/admin/events/persona%3Aevt_ABC123DEF456';
    const linked = buildEmailMessage(eventItem(), { publicUrl: 'https://hookline.example.com/' });
    expect(linked.text).toMatch(new RegExp(`^Link: +${url.replaceAll('.', '\\.')}$`, 'm'));
    expect(linked.html).toContain(`<a href="${url}">`);
    const stuck = buildEmailMessage(stuckItem(), { publicUrl: 'https://hookline.example.com', now: SAMPLE_NOW });
    expect(stuck.text).toContain('https://hookline.example.com/admin/events/persona%3Aevt_LAST9');
    for (const message of [buildEmailMessage(eventItem()), buildEmailMessage(stuckItem(), { now: SAMPLE_NOW })]) {
      expect(message.text).not.toContain('/admin/events/');
      expect(message.text).not.toContain('Link:');
      expect(message.html).not.toContain('<a ');
    }
  });

  it('derives a Message-ID from the alert key, one per key', () => {
    expect(messageIdFor('persona:evt_1')).toBe('<persona=3Aevt_1@hookline>');
    expect(messageIdFor('a:b')).not.toBe(messageIdFor('a.b'));
    expect(messageIdFor('a=3Ab')).not.toBe(messageIdFor('a:b'));
    expect(messageIdFor('primer:WORKFLOW_RUN.FAILED:run 1')).toMatch(/^<[A-Za-z0-9_+=-]+@hookline>$/);
    expect(messageIdFor('é')).toBe('<=C3=A9@hookline>');
    const long = messageIdFor('x'.repeat(500));
    expect(long).toMatch(/^<sha256-[0-9a-f]{64}@hookline>$/);
    const message = buildEmailMessage(eventItem());
    expect(message.headers['X-Hookline-Event-Id']).toBe('persona:evt_ABC123DEF456');
    expect(message.messageId).toBe('<persona=3Aevt_ABC123DEF456@hookline>');
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('keeps a sample event readable', () => {
    expect(buildEmailMessage({ kind: 'event', event: sampleEvent() }).text).toMatch(
      /^FAILED · persona · Nightly CRM sync\n\nPersona import "Customer Data Import" failed: Row 7: email is not valid\n\nStatus: /,
    );
  });
});
