import { describe, expect, it } from 'vitest';
import { buildEmailMessage, emailSubject, escapeHtml, messageIdFor } from '../../src/sinks/email-message.ts';
import { sampleEvent } from './sample-event.ts';

describe('buildEmailMessage', () => {
  it('names status, provider and subject in the subject line', () => {
    expect(emailSubject(sampleEvent())).toBe('[hookline] FAILED · persona · Customer Data Import (mprtpr_ABC123DEF456)');
    expect(emailSubject(sampleEvent({ status: 'partial', provider: 'reachfive', subject: { id: 'job-42' } }))).toBe(
      '[hookline] PARTIAL · reachfive · job-42',
    );
  });

  it('keeps the subject one bounded line, whatever the name holds', () => {
    const subject = emailSubject(sampleEvent({ subject: { id: 'x\r\nBcc: victim@example.com', name: 'n'.repeat(500) } }));
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.length).toBeLessThanOrEqual(200);
  });

  it('lists every field in the text part and escapes them in the HTML table', () => {
    const message = buildEmailMessage(
      sampleEvent({ summary: 'Import <script>alert(1)</script> & "friends" failed', error: { message: '<img src=x onerror=alert(1)>' } }),
    );
    for (const label of ['Status:', 'Provider:', 'Subject:', 'Parent:', 'Counts:', 'Error:', 'Occurred:', 'Event id:']) {
      expect(message.text).toContain(label);
    }
    expect(message.text).toContain('<script>alert(1)</script>'); // plain text is shown as is
    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<img');
    expect(message.html).toContain('Import &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot; failed');
    expect(message.html).toContain('<th');
  });

  it('derives a Message-ID from the event key, one per key', () => {
    expect(messageIdFor('persona:evt_1')).toBe('<persona=3Aevt_1@hookline>');
    expect(messageIdFor('a:b')).not.toBe(messageIdFor('a.b'));
    expect(messageIdFor('a=3Ab')).not.toBe(messageIdFor('a:b'));
    expect(messageIdFor('primer:WORKFLOW_RUN.FAILED:run 1')).toMatch(/^<[A-Za-z0-9_+=-]+@hookline>$/);
    expect(messageIdFor('é')).toBe('<=C3=A9@hookline>');
    const long = messageIdFor('x'.repeat(500));
    expect(long).toMatch(/^<sha256-[0-9a-f]{64}@hookline>$/);
    expect(buildEmailMessage(sampleEvent()).headers['X-Hookline-Event-Id']).toBe('persona:evt_ABC123DEF456');
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
