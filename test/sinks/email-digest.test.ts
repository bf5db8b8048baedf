import { describe, expect, it } from 'vitest';
import type { AlertItem } from '../../src/alerts/alert-item.ts';
import { buildEmailDigest, emailDigestSubject } from '../../src/sinks/email-digest.ts';
import { escapeHtml } from '../../src/sinks/email-message.ts';
import { SAMPLE_NOW, SERIES, eventItem, stuckItem } from './sample-event.ts';

const options = { now: SAMPLE_NOW };

function fifty(): AlertItem[] {
  return Array.from({ length: 50 }, (_, i) =>
    i % 10 === 9
      ? eventItem({ id: `reachfive:job_${i}`, provider: 'reachfive', status: 'partial', subject: { id: `job_${i}` }, parent: undefined, error: { message: `${i} of 100 operations failed` } })
      : eventItem({ id: `persona:evt_${i}`, subject: { id: `mprtpr_${i}`, name: `Import ${i}` } }),
  );
}

describe('buildEmailDigest', () => {
  it('counts the alerts in the subject, with their providers', () => {
    expect(buildEmailDigest(fifty(), options).subject).toBe('[hookline] 50 alerts: 45 FAILED, 5 PARTIAL (persona, reachfive)');
    expect(emailDigestSubject([stuckItem(), eventItem({ status: 'succeeded', error: undefined }, { recovered: { incidentId: 'i', series: SERIES, runsFailed: 2, since: '2024-01-14T00:00:00.000Z' } })])).toBe(
      '[hookline] 2 alerts: 1 STUCK, 1 RECOVERED (persona)',
    );
  });

  it('names every alert of fifty: status, provider, subject id, event key, link', () => {
    const items = fifty();
    const message = buildEmailDigest(items, { ...options, publicUrl: 'https://hookline.example.com' });
    for (const item of items) {
      if (item.kind !== 'event') continue;
      expect(message.text).toContain(`event ${item.event.id}\n`);
      expect(message.text).toContain(`run ${item.event.subject.id} · `);
      expect(message.text).toContain(`https://hookline.example.com/admin/events/${encodeURIComponent(item.event.id)}`);
      expect(message.html).toContain(escapeHtml(item.event.id));
    }
    expect(message.text).toContain('FAILED · persona (45)');
    expect(message.text).toContain('PARTIAL · reachfive (5)');
    expect(message.text.split('\n')[0]).toBe('hookline: 50 alerts — 45 failed, 5 partial');
  });

  it('groups failures first, then partial, recovered and the rest', () => {
    const items: AlertItem[] = [
      eventItem({ id: 'persona:evt_S', status: 'succeeded', error: undefined }),
      eventItem({ id: 'persona:evt_R', status: 'succeeded', error: undefined }, { recovered: { incidentId: 'i', series: SERIES, runsFailed: 2, since: '2024-01-14T00:00:00.000Z' } }),
      eventItem({ id: 'reachfive:job_P', provider: 'reachfive', status: 'partial', subject: { id: 'job_P' }, parent: undefined }),
      stuckItem(),
      eventItem({ id: 'persona:evt_F' }, { failing: { incidentId: 'i', series: SERIES, failureNumber: 3, since: '2024-01-14T00:00:00.000Z' } }),
    ];
    const { text, html } = buildEmailDigest(items, options);
    const headings = ['FAILED · persona (1)', 'STUCK · persona (1)', 'PARTIAL · reachfive (1)', 'RECOVERED · persona (1)', 'SUCCEEDED · persona (1)'];
    const at = headings.map((heading) => text.indexOf(`\n${heading}\n`));
    expect(at.every((index) => index > 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(text).toContain('1. Nightly CRM sync · run mprtpr_ABC123DEF456 · [E_ROWS] Row 7: email is not valid (3rd failure)\n     event persona:evt_F\n');
    expect(text).toContain('1. Nightly CRM sync · run mprtpr_RUN9 · stuck: no event for 6 h 12 min (status running)\n     last event persona:evt_LAST9\n');
    expect(text).toContain('(recovered after 2 failed runs)');
    const htmlAt = headings.map((heading) => html.indexOf(`>${escapeHtml(heading)}</h3>`));
    expect(htmlAt.every((index) => index > 0)).toBe(true);
    expect(htmlAt).toEqual([...htmlAt].sort((a, b) => a - b));
    expect(html.match(/<table/g)).toHaveLength(5);
  });

  it('derives its Message-ID from the set of alert keys, whatever their order', () => {
    const items = fifty();
    const id = buildEmailDigest(items, options).messageId;
    expect(id).toMatch(/^<digest-[0-9a-f]{64}@hookline>$/);
    expect(buildEmailDigest([...items].reverse(), options).messageId).toBe(id);
    expect(buildEmailDigest(items.slice(1), options).messageId).not.toBe(id);
    expect(buildEmailDigest([stuckItem(), stuckItem({ incidentId: 'other' })], options).messageId).not.toBe(
      buildEmailDigest([stuckItem(), stuckItem()], options).messageId,
    );
  });

  it('keeps every user-provided value on its line and escapes it in HTML', () => {
    const evil = 'ok\r\nBcc: victim@example.com\nSubject: free money\u2028X-Injected: 1 <script>x</script>';
    const items: AlertItem[] = [
      eventItem({ id: `persona:${evil}`, subject: { id: evil, name: evil }, parent: { id: evil, name: evil }, summary: evil, error: { message: evil, code: evil } }),
      stuckItem({ subject: { id: evil, name: evil }, lastEventId: evil, parent: { id: evil, name: evil } }),
    ];
    const message = buildEmailDigest(items, { ...options, publicUrl: 'https://hookline.example.com' });
    for (const line of message.text.split('\n')) expect(line).not.toMatch(/^\s*(Bcc|Subject|X-Injected):/);
    expect(message.text).not.toMatch(/[\r\u2028]/);
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('&lt;script&gt;');
  });

  it('links only with PUBLIC_URL', () => {
    const message = buildEmailDigest(fifty().slice(0, 3), options);
    expect(message.text).not.toContain('/admin/events/');
    expect(message.html).not.toContain('<a ');
    expect(buildEmailDigest(fifty().slice(0, 3), { ...options, publicUrl: 'https://h.example/' }).html).toContain(
      '<a href="https://h.example/admin/events/persona%3Aevt_0">persona:evt_0</a>',
    );
  });
});
