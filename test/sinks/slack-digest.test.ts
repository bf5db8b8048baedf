import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertKey, type AlertItem } from '../../src/alerts/alert-item.ts';
import { EVENT_CATEGORIES, EVENT_STATUSES, type NormalizedEvent } from '../../src/normalizers/normalized-event.ts';
import { PROVIDER_IDS } from '../../src/providers/registry.ts';
import { SLACK_DIGEST_MAX, buildSlackDigest, slackBlockTexts, slackDigestCapacity, slackLimitProblems } from '../../src/sinks/slack-digest.ts';
import { SLACK_LIMITS, buildSlackMessage, escapeSlack, type SlackMessage } from '../../src/sinks/slack-message.ts';
import { SAMPLE_NOW, SERIES, eventItem, stuckItem } from './sample-event.ts';

const options = { now: SAMPLE_NOW };
const blocksText = (message: SlackMessage) => slackBlockTexts(message.blocks).join('\n');
const sections = (message: SlackMessage) =>
  message.blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));

/** The key a digest must show verbatim (as Slack displays it: & < > escaped). */
const shownKey = (item: AlertItem) => escapeSlack(item.kind === 'event' ? item.event.id : item.report.lastEventId);
const subjectId = (item: AlertItem) => escapeSlack(item.kind === 'event' ? item.event.subject.id : item.report.subject.id);
const provider = (item: AlertItem) => (item.kind === 'event' ? item.event.provider : item.report.provider);
const statusWord = (item: AlertItem) =>
  item.kind === 'stuck' ? 'STUCK' : item.notes?.recovered ? 'RECOVERED' : item.event.status.toUpperCase();

/** Every limit, every key, status, provider and subject id, in `text` and in the blocks. */
function expectDigestOf(message: SlackMessage, items: readonly AlertItem[]): void {
  expect(slackLimitProblems(message)).toEqual([]);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  for (const text of sections(message)) expect(text.length).toBeLessThanOrEqual(3_000);
  expect(slackBlockTexts(message.blocks).reduce((sum, text) => sum + text.length, 0)).toBeLessThanOrEqual(11_000);
  const header = message.blocks[0];
  expect(header?.type === 'header' && header.text.text.length).toBeLessThanOrEqual(150);
  expect(message.text.length).toBeLessThanOrEqual(12_000);
  const blocks = blocksText(message);
  for (const item of items) {
    for (const where of [message.text, blocks]) {
      expect(where).toContain(shownKey(item));
      expect(where).toContain(subjectId(item));
      if (item.kind === 'stuck') expect(where.toLowerCase()).toContain('stuck');
    }
  }
  // Each alert has a line of its own in `text`: status, provider, subject id and key.
  const lines = message.text.split('\n').slice(1);
  for (const item of items) {
    const line = lines.find(
      (candidate) =>
        candidate.startsWith(`${statusWord(item)} · ${provider(item)} · `) && candidate.includes(shownKey(item)) && candidate.includes(subjectId(item)),
    );
    expect(line, `a text line for ${alertKey(item)}`).toBeDefined();
  }
  expect(lines).toHaveLength(items.length);
}

function failure(index: number, overrides: Partial<NormalizedEvent> = {}): AlertItem {
  return eventItem({ id: `persona:evt_${index}`, subject: { id: `mprtpr_${index}`, name: `Import ${index}` }, ...overrides });
}

describe('buildSlackDigest', () => {
  const mix: AlertItem[] = [
    ...Array.from({ length: 14 }, (_, i) => failure(i)),
    ...Array.from({ length: 4 }, (_, i) =>
      eventItem({ id: `reachfive:job_${i}`, provider: 'reachfive', status: 'partial', subject: { id: `job_${i}` }, parent: undefined }),
    ),
    stuckItem(),
    eventItem(
      { id: 'persona:evt_OK', status: 'succeeded', error: undefined, summary: "Persona import 'Nightly CRM sync' succeeded" },
      { recovered: { incidentId: 'inc_1', series: SERIES, runsFailed: 3, since: '2024-01-14T02:14:00.000Z' } },
    ),
  ];

  it('counts the alerts in the header and reports every one', () => {
    const message = buildSlackDigest(mix, options);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'hookline: 20 alerts — 14 failed, 4 partial, 1 stuck, 1 recovered', emoji: true },
    });
    expect(message.text.split('\n')[0]).toBe('hookline: 20 alerts — 14 failed, 4 partial, 1 stuck, 1 recovered');
    expect(slackDigestCapacity(mix, options)).toBe(20);
    expectDigestOf(message, mix);
  });

  it('groups by status and provider, failures first', () => {
    const shuffled = [mix[19]!, mix[15]!, mix[18]!, mix[3]!, eventItem({ id: 'persona:evt_S', status: 'succeeded', error: undefined }), mix[0]!];
    const message = buildSlackDigest(shuffled, options);
    const titles = sections(message).map((text) => text.split('\n')[0]);
    expect(titles).toEqual([
      '*:x: FAILED · persona* — 2',
      '*:hourglass: STUCK · persona* — 1',
      '*:warning: PARTIAL · reachfive* — 1',
      '*:white_check_mark: RECOVERED · persona* — 1',
      '*:white_check_mark: SUCCEEDED · persona* — 1',
    ]);
    const at = (key: string) => message.text.indexOf(key);
    expect(at('persona:evt_3')).toBeLessThan(at('reachfive:job_1'));
    expect(at('persona:evt_0')).toBeLessThan(at('persona:evt_OK'));
    expect(at('persona:evt_OK')).toBeLessThan(at('persona:evt_S'));
    expect(blocksText(message)).toContain(
      '• :white_check_mark: *Nightly CRM sync* (recovered after 3 failed runs) · run `mprtpr_ABC123DEF456` · Persona import \'Nightly CRM sync\' succeeded · `persona:evt_OK`',
    );
  });

  it('writes one line per alert: emoji, name, subject id, short error, key in code, mark, link', () => {
    const marked = eventItem(
      { id: 'persona:evt_7', subject: { id: 'mprtpr_7', name: 'Import 7' }, parent: { id: 'p', name: 'Nightly <CRM> sync' } },
      { failing: { incidentId: 'i', series: SERIES, failureNumber: 3, since: '2024-01-14T02:14:00.000Z' } },
    );
    const message = buildSlackDigest([marked, stuckItem()], { ...options, publicUrl: 'https://hookline.example.com' });
    expect(sections(message)[0]).toBe(
      '*:x: FAILED · persona* — 1\n• :x: *Nightly &lt;CRM&gt; sync* (3rd failure) · run `mprtpr_7` · [E_ROWS] Row 7: email is not valid · `persona:evt_7` · <https://hookline.example.com/admin/events/persona%3Aevt_7|open>',
    );
    expect(sections(message)[1]).toBe(
      '*:hourglass: STUCK · persona* — 1\n• :hourglass: *Nightly CRM sync* · run `mprtpr_RUN9` · stuck: no event for 6 h 12 min (status running) · last event `persona:evt_LAST9` · <https://hookline.example.com/admin/events/persona%3Aevt_LAST9|open>',
    );
    expect(message.text).toBe(
      [
        'hookline: 2 alerts — 1 failed, 1 stuck',
        'FAILED · persona · Import 7 (mprtpr_7) (3rd failure): [E_ROWS] Row 7: email is not valid · persona:evt_7',
        'STUCK · persona · Customer Data Import (mprtpr_RUN9): stuck: no event for 6 h 12 min (status running) · last event persona:evt_LAST9',
      ].join('\n'),
    );
    const unlinked = buildSlackDigest([marked, stuckItem()], options);
    expect(blocksText(unlinked) + unlinked.text).not.toContain('/admin/events/');
  });

  it('fits 20 failures with 2,000-character names and errors, shortening them but no key', () => {
    const long = (i: number) => `${i}:${'Nightly <CRM> & sync ✓ '.repeat(100)}`.slice(0, 2_000);
    const items = Array.from({ length: 20 }, (_, i) =>
      failure(i, {
        subject: { id: `mprtpr_${i}`, name: long(i) },
        parent: { id: `mprtp_${i}`, name: long(i) },
        error: { message: long(i), code: 'E'.repeat(50) },
        summary: long(i),
      }),
    );
    const capacity = slackDigestCapacity(items, { ...options, publicUrl: 'https://hookline.example.com' });
    expect(capacity).toBeLessThanOrEqual(20);
    expect(capacity).toBe(20);
    const message = buildSlackDigest(items.slice(0, capacity), { ...options, publicUrl: 'https://hookline.example.com' });
    expectDigestOf(message, items);
  });

  it('carries fewer alerts when their keys alone are long, and each key whole', () => {
    const items = Array.from({ length: 20 }, (_, i) => failure(i, { id: `persona:${String(i).padStart(3, '0')}${'k&'.repeat(400)}` }));
    const capacity = slackDigestCapacity(items, options);
    expect(capacity).toBeGreaterThan(1);
    expect(capacity).toBeLessThan(20);
    expectDigestOf(buildSlackDigest(items.slice(0, capacity), options), items.slice(0, capacity));
    expect(slackLimitProblems(buildSlackDigest(items.slice(0, capacity + 1), options))).not.toEqual([]);
  });

  it('sends an alert too large for any digest alone, and stops a digest before one', () => {
    const huge = failure(99, { id: `persona:${'x'.repeat(3_500)}` });
    expect(slackDigestCapacity([huge, failure(1), failure(2)], options)).toBe(1);
    expect(buildSlackDigest([huge], options)).toEqual(buildSlackMessage(huge, options));
    const items = [failure(1), failure(2), failure(3), failure(4), huge, failure(5)];
    expect(slackDigestCapacity(items, options)).toBe(4);
  });

  it('carries at most 20, and nothing for nothing', () => {
    const items = Array.from({ length: 30 }, (_, i) => failure(i));
    expect(SLACK_DIGEST_MAX).toBe(20);
    expect(slackDigestCapacity(items, options)).toBe(20);
    expect(slackDigestCapacity(items.slice(0, 1), options)).toBe(1);
    expect(slackDigestCapacity([], options)).toBe(0);
  });

  it('splits a group longer than a section, under the same title', () => {
    const items = Array.from({ length: 20 }, (_, i) => failure(i, { id: `persona:${String(i).padStart(3, '0')}${'k'.repeat(250)}`, parent: undefined }));
    const capacity = slackDigestCapacity(items, options);
    const message = buildSlackDigest(items.slice(0, capacity), options);
    const titles = sections(message).map((text) => text.split('\n')[0]);
    expect(titles.length).toBeGreaterThan(1);
    expect(titles.slice(1).every((title) => title === `*:x: FAILED · persona* — ${capacity} (continued)`)).toBe(true);
    expectDigestOf(message, items.slice(0, capacity));
  });

  it('always fits the alerts slackDigestCapacity counts, with every key, and never one more (property)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 400, size: 'max' }),
      fc.string({ unit: fc.constantFrom('<', '&', '>', '😀', 'é', '\n', '`', '|', '*', 'a'), maxLength: 3_000, size: 'max' }),
      fc.constantFrom('<!channel>', '<@U123> & <#C1>', '&amp;', 'x'.repeat(2_500)),
    );
    // Mostly short keys and ids, some long enough that fewer alerts fit, a few too long for any digest.
    const id = fc.oneof(
      { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
      { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('<', '&', '>', '😀', 'k', ':', ' '), minLength: 1, maxLength: 200, size: 'max' }) },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('&', 'k', 'é'), minLength: 400, maxLength: 1_500, size: 'max' }) },
    );
    const date = fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2030-01-01') }).map((ms) => new Date(ms).toISOString());
    const series = fc.record({ id, name: fc.option(text, { nil: undefined }) });
    const notes = fc.record(
      {
        failing: fc.record({ incidentId: id, series, failureNumber: fc.integer({ min: 1, max: 500 }), since: date }),
        recovered: fc.record({ incidentId: id, series, runsFailed: fc.integer({ min: 1, max: 500 }), since: date }),
        unstuck: fc.record({ incidentId: id, lastActivityAt: date, stuckForSeconds: fc.integer({ min: 0, max: 10_000_000 }) }),
      },
      { requiredKeys: [] },
    );
    const event: fc.Arbitrary<AlertItem> = fc
      .record({
        provider: fc.constantFrom(...PROVIDER_IDS),
        key: id,
        type: fc.string({ minLength: 1, maxLength: 60 }),
        category: fc.constantFrom(...EVENT_CATEGORIES),
        status: fc.constantFrom(...EVENT_STATUSES),
        occurredAt: date,
        receivedAt: date,
        subject: fc.record({ id, name: fc.option(text, { nil: undefined }) }),
        parent: fc.option(fc.record({ id, name: fc.option(text, { nil: undefined }) }), { nil: undefined }),
        error: fc.option(fc.record({ message: text, code: fc.option(text, { nil: undefined }), step: fc.option(text, { nil: undefined }) }), { nil: undefined }),
        summary: text.filter((summary) => summary.length > 0),
        notes: fc.option(notes, { nil: undefined }),
      })
      .map(({ key, notes: itemNotes, provider: p, ...rest }) => {
        const built: NormalizedEvent = { ...rest, id: `${p}:${key}`, provider: p };
        for (const field of ['parent', 'error'] as const) if (built[field] === undefined) delete built[field];
        return { kind: 'event', event: built, notes: itemNotes };
      });
    const stuck: fc.Arbitrary<AlertItem> = fc
      .record({
        incidentId: id,
        provider: fc.constantFrom(...PROVIDER_IDS),
        category: fc.constantFrom(...EVENT_CATEGORIES),
        status: fc.constantFrom('started' as const, 'running' as const, 'resumed' as const),
        subject: fc.record({ id, name: fc.option(text, { nil: undefined }) }),
        parent: fc.option(fc.record({ id, name: fc.option(text, { nil: undefined }) }), { nil: undefined }),
        lastEventId: id,
        lastEventAt: date,
        detectedAt: date,
        stuckAfterSeconds: fc.integer({ min: 1, max: 1_000_000 }),
      })
      .map((report) => ({ kind: 'stuck', report }));
    const publicUrl = fc.option(fc.constantFrom('https://hookline.example.com', 'https://h.example/base/'), { nil: undefined });

    fc.assert(
      fc.property(fc.array(fc.oneof(event, event, stuck), { minLength: 1, maxLength: 30, size: 'max' }), publicUrl, (items, url) => {
        const opts = { publicUrl: url, now: SAMPLE_NOW };
        const capacity = slackDigestCapacity(items, opts);
        expect(capacity).toBeGreaterThanOrEqual(1);
        expect(capacity).toBeLessThanOrEqual(Math.min(items.length, 20));
        const leading = items.slice(0, capacity);
        const message = buildSlackDigest(leading, opts);
        if (capacity === 1) {
          expect(message).toEqual(buildSlackMessage(items[0]!, opts));
          expect(slackLimitProblems(message)).toEqual([]);
          // An alert alone keeps its key whole unless the key itself is absurdly long.
          if (shownKey(items[0]!).length <= 1_000) {
            expect(message.text).toContain(shownKey(items[0]!));
            expect(blocksText(message)).toContain(shownKey(items[0]!));
          }
        } else {
          expectDigestOf(message, leading);
        }
        if (capacity < Math.min(items.length, 20) && capacity > 1) {
          expect(slackLimitProblems(buildSlackDigest(items.slice(0, capacity + 1), opts))).not.toEqual([]);
        }
        // Failures first: no line of a non-failure comes before a failure's.
        const ranks = message.text
          .split('\n')
          .slice(1)
          .map((line) => (/^(FAILED|STUCK) /.test(line) ? 0 : /^PARTIAL /.test(line) ? 1 : /^RECOVERED /.test(line) ? 2 : /^[A-Z]+ · /.test(line) ? 3 : -1))
          .filter((rank) => rank >= 0);
        if (capacity > 1) expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });

  it('respects Slack limits for a single alert too (the digest of one)', () => {
    expect(SLACK_LIMITS.blocksText).toBe(11_000);
  });
});
