import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertItem, AlertNotes } from '../../src/alerts/alert-item.ts';
import { buildEmailDigest } from '../../src/sinks/email-digest.ts';
import { HEADER_LIKE, buildEmailMessage } from '../../src/sinks/email-message.ts';
import { SAMPLE_NOW, eventItem, stuckItem } from './sample-event.ts';

/*
 * Issue 12, finding 7 (email): payload fields must never make a line of an email's text part that
 * reads as a header ("Bcc: attacker@example.com"), whether they carry CR/LF (or another line break)
 * or simply start with `Name:` where a line begins. Every user-provided value below is hostile; the
 * only header-looking lines left must be hookline's own labels.
 */

/**
 * What hookline itself starts text lines with: its labels (`Event id:` and the like hold a space, so
 * are not header-like), and a digest line's link, which starts with PUBLIC_URL's scheme.
 */
const OWN_LABELS = new Set(['Status', 'Provider', 'Category', 'Type', 'Subject', 'Parent', 'Counts', 'Error', 'Occurred', 'Received', 'Link', 'Detected', 'Incident', 'Stuck', 'hookline', 'https']);

const BREAKS = ['\r\n', '\n', '\r', '\u2028', '\u2029', '\u0085', '\u000b', '\f', '\t', '\u0000', ''];
const NAMES = ['Bcc', 'Subject', 'To', 'X-Injected', 'Content-Type', 'MIME-Version'];

/** A user-provided string: plain, or a header smuggled in after a line break or at its start. */
const hostile = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc
    .tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...BREAKS), fc.constantFrom(...NAMES), fc.string({ maxLength: 20 }))
    .map(([before, gap, name, after]) => `${before}${gap}${name}: attacker@example.com${after}`),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...BREAKS)).map(([name, gap]) => `${name}: attacker@example.com${gap}${name}: again`),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
);

const ref = fc.record({ id: hostile, name: hostile });

const eventAlert: fc.Arbitrary<AlertItem> = fc
  .record({
    key: hostile,
    type: hostile,
    subject: ref,
    parent: ref,
    summary: hostile,
    error: fc.record({ message: hostile, code: hostile, step: hostile }),
    series: ref,
    since: fc.oneof(fc.constant('2024-01-14T00:00:00.000Z'), hostile),
    which: fc.constantFrom('failing', 'recovered', 'unstuck', 'none'),
    status: fc.constantFrom('failed', 'partial', 'succeeded', 'running'),
  })
  .map(({ key, type, subject, parent, summary, error, series, since, which, status }) => {
    const notes: AlertNotes | undefined =
      which === 'failing'
        ? { failing: { incidentId: key, series, failureNumber: 3, since } }
        : which === 'recovered'
          ? { recovered: { incidentId: key, series, runsFailed: 2, since } }
          : which === 'unstuck'
            ? { unstuck: { incidentId: key, lastActivityAt: since, stuckForSeconds: 3_600 } }
            : undefined;
    return eventItem({ id: `persona:${key}`, type, subject, parent, summary, error, status }, notes);
  });

const stuckAlert: fc.Arbitrary<AlertItem> = fc
  .record({ subject: ref, parent: ref, key: hostile, incident: hostile })
  .map(({ subject, parent, key, incident }) => stuckItem({ subject, parent, lastEventId: key, incidentId: incident }));

const alert = fc.oneof(eventAlert, stuckAlert);

function expectNoForeignHeaderLines(message: { text: string; html: string }): void {
  for (const line of message.text.split('\n')) {
    const match = /^\s*([!-9;-~]+):/.exec(line);
    if (match) expect(OWN_LABELS.has(match[1]!), `a text line looks like a header: ${JSON.stringify(line)}`).toBe(true);
  }
  expect(message.text).not.toMatch(/[\r\u000b\f\u0085\u2028\u2029]/);
  // Every line of the HTML part is one of hookline's own, starting with a tag: no value spans lines.
  for (const line of message.html.split('\n')) expect(line === '' || line.startsWith('<'), JSON.stringify(line)).toBe(true);
}

describe('email text free of injected header-looking lines', () => {
  const options = { now: SAMPLE_NOW, publicUrl: 'https://hookline.example.com' };

  it('in a single alert email', () => {
    fc.assert(
      fc.property(alert, (item) => {
        const message = buildEmailMessage(item, options);
        expectNoForeignHeaderLines(message);
        for (const value of [message.subject, ...Object.values(message.headers)]) expect(value).not.toMatch(/[\r\n\u2028\u2029]/);
      }),
      { numRuns: 1_000 },
    );
  });

  it('in a digest', () => {
    fc.assert(
      fc.property(fc.array(alert, { minLength: 2, maxLength: 6 }), (items) => {
        const message = buildEmailDigest(items, options);
        expectNoForeignHeaderLines(message);
        expect(message.subject).not.toMatch(/[\r\n\u2028\u2029]/);
      }),
      { numRuns: 300 },
    );
  });

  it('quotes a name that would open a line as a header, and leaves ordinary ones alone', () => {
    const series = { id: 'mprtp_1', name: 'Bcc: attacker@example.com' };
    const recovered = buildEmailMessage(eventItem({ status: 'succeeded', error: undefined }, { recovered: { incidentId: 'i', series, runsFailed: 2, since: '2024-01-16T02:14:09.118Z' } }));
    expect(recovered.text).toContain('“Bcc: attacker@example.com” recovered after 2 failed runs since 2024-01-16 02:14 UTC.');
    expect(recovered.text).not.toMatch(/^Bcc:/m);
    const summary = buildEmailMessage(eventItem({ summary: 'X-Injected: 1', error: undefined }));
    expect(summary.text).toMatch(/^“X-Injected: 1”$/m);
    expect(HEADER_LIKE.test('Persona import "x" failed: y')).toBe(false);
    expect(HEADER_LIKE.test('Bcc: y')).toBe(true);
  });

  it('bounds a name inside a sentence', () => {
    const series = { id: 'mprtp_1', name: 'n'.repeat(5_000) };
    const { text } = buildEmailMessage(eventItem({}, { failing: { incidentId: 'i', series, failureNumber: 2, since: '2024-01-14T00:00:00.000Z' } }));
    const sentence = text.split('\n').find((line) => line.startsWith('2nd failed run of'))!;
    expect(sentence.length).toBeLessThan(400);
  });
});
