import { describe, expect, it } from 'vitest';
import type { AlertItem } from '../../src/alerts/alert-item.ts';
import { eventLink, humanDuration, ordinal } from '../../src/sinks/alert-text.ts';
import { flat } from '../../src/shared/text.ts';
import { slackBlockTexts, slackLimitProblems } from '../../src/sinks/slack-digest.ts';
import { SLACK_LIMITS, buildSlackMessage, escapeSlack, slackDate, slackText, type SlackBlock } from '../../src/sinks/slack-message.ts';
import { SAMPLE_NOW, SERIES, eventItem, fixtureEvents, occurrences, sampleEvent, stuckItem } from './sample-event.ts';

const texts = (blocks: SlackBlock[]): string[] => slackBlockTexts(blocks);
const all = (message: { text: string; blocks: SlackBlock[] }) => [message.text, ...texts(message.blocks)].join('\n');
const headerOf = (blocks: SlackBlock[]) => (blocks[0]?.type === 'header' ? blocks[0].text.text : undefined);
const fieldsOf = (blocks: SlackBlock[]) => blocks.flatMap((block) => (block.type === 'section' ? (block.fields ?? []) : []));

/**
 * The normalizers' fallback messages, used when a provider names no reason: each only restates
 * the summary ("ReachFive export 'X' failed" / "export job failed"), so a message leaves it out.
 */
const RESTATEMENTS = new Set([
  'bulk campaign failed',
  'RFM segment recalculation failed',
  'dynamic segment recalculation failed',
  'workflow run failed',
  'export job failed',
  'extraction rejected',
]);

describe('buildSlackMessage: an event', () => {
  it('describes the event in the fallback text and in the blocks', () => {
    const message = buildSlackMessage({ kind: 'event', event: sampleEvent() });
    expect(message.text).toBe(
      'FAILED · persona · Customer Data Import (mprtpr_ABC123DEF456): Persona import "Customer Data Import" failed: Row 7: email is not valid — [E_ROWS] step validate · event persona:evt_ABC123DEF456',
    );
    const [header, summary, fields, context] = message.blocks;
    expect(header).toEqual({ type: 'header', text: { type: 'plain_text', text: ':x: FAILED · Nightly CRM sync', emoji: true } });
    expect(summary).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
    expect(fields?.type === 'section' && fields.fields?.map((f) => f.text.split('\n')[0])).toEqual([
      '*Status*',
      '*Provider*',
      '*Subject*',
      '*Parent*',
      '*Counts*',
      '*Error*',
      '*When*',
    ]);
    const blocks = texts(message.blocks).join('\n');
    expect(blocks).toContain('total 10 · succeeded 8 · failed 2');
    expect(blocks).toContain('Nightly CRM sync (mprtp_PIPE1)');
    expect(blocks).toContain('Customer Data Import (mprtpr_ABC123DEF456)');
    expect(blocks).toContain('<!date^1705371249^{date_short_pretty} {time}|2024-01-16T02:14:09.118Z>');
    expect(context).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringContaining('persona:evt_ABC123DEF456') }] });
  });

  it('names the workflow in the header, else the subject name, else the subject id; the run id goes in a field', () => {
    const withParent = buildSlackMessage(eventItem());
    expect(headerOf(withParent.blocks)).toBe(':x: FAILED · Nightly CRM sync');
    expect(headerOf(withParent.blocks)).not.toContain('mprtpr_ABC123DEF456');
    expect(fieldsOf(withParent.blocks).find((f) => f.text.startsWith('*Subject*'))?.text).toContain('mprtpr_ABC123DEF456');

    expect(headerOf(buildSlackMessage(eventItem({ parent: { id: 'mprtp_X' } })).blocks)).toBe(':x: FAILED · Customer Data Import');
    expect(headerOf(buildSlackMessage(eventItem({ parent: undefined, subject: { id: 'job-42' }, status: 'partial' })).blocks)).toBe(
      ':warning: PARTIAL · job-42',
    );
  });

  it('leaves optional fields out', () => {
    const { parent: _parent, counts: _counts, error: _error, ...bare } = sampleEvent({ status: 'succeeded' });
    const message = buildSlackMessage({ kind: 'event', event: bare });
    const fields = message.blocks[2];
    expect(fields?.type === 'section' && fields.fields).toHaveLength(4);
    expect(message.text).not.toContain('error');
  });

  it('says the error once: the summary, and in the Error field only what the summary lacks', () => {
    const message = buildSlackMessage(eventItem());
    expect(occurrences(message.text, 'Row 7: email is not valid')).toBe(1);
    expect(occurrences(texts(message.blocks).join('\n'), 'Row 7: email is not valid')).toBe(1);
    expect(fieldsOf(message.blocks).find((f) => f.text.startsWith('*Error*'))?.text).toBe('*Error*\n[E_ROWS] step validate');

    // A summary that does not hold the error: the error is added, once.
    const other = buildSlackMessage(eventItem({ summary: 'Persona import "Customer Data Import" failed' }));
    expect(other.text).toContain('failed — error: [E_ROWS] step validate: Row 7: email is not valid · event');
    expect(occurrences(all(other), 'Row 7: email is not valid')).toBe(2); // text once, blocks once

    // A summary that cut a long error short: its head is shown, and the whole error in the field.
    const long = `Row 7: ${'email is not valid; '.repeat(30)}end`;
    const cut = buildSlackMessage(
      eventItem({ error: { message: long }, summary: `Persona import 'Nightly CRM sync' failed: ${long.slice(0, 279).trimEnd()}…` }),
    );
    expect(occurrences(texts(cut.blocks).join('\n'), 'Row 7: email')).toBe(1);
    expect(fieldsOf(cut.blocks).find((f) => f.text.startsWith('*Error*'))?.text).toContain(`${long.slice(0, 400)}`);
    expect(occurrences(cut.text, 'Row 7: email')).toBe(1);
    expect(cut.text).toContain(long);
  });

  it('says the error of every fixture exactly once, in the text and in the blocks', () => {
    const samples = fixtureEvents().filter(({ event }) => event.error);
    expect(samples.length).toBeGreaterThan(15);
    for (const { name, event } of samples) {
      const message = buildSlackMessage({ kind: 'event', event });
      const error = escapeSlack(flat(event.error!.message));
      const expected = RESTATEMENTS.has(event.error!.message) ? 0 : 1;
      expect(occurrences(flat(message.text), error), `${name}: ${message.text}`).toBe(expected);
      expect(occurrences(flat(texts(message.blocks).join(' ')), error), name).toBe(expected);
      expect(message.text, name).toContain(escapeSlack(event.summary));
      expect(message.text, name).toContain(escapeSlack(event.id));
      expect(message.text, name).toContain(escapeSlack(event.subject.id));
    }
  });

  it('marks the n-th failed run of the open incident', () => {
    const failing = (failureNumber: number) =>
      eventItem({}, { failing: { incidentId: 'inc_1', series: SERIES, failureNumber, since: '2024-01-14T02:14:00.000Z' } });
    const third = buildSlackMessage(failing(3));
    expect(third.text).toContain('3rd failed run of Nightly CRM sync since 2024-01-14 02:14 UTC');
    expect(texts(third.blocks).join('\n')).toContain(
      '*3rd failed run of Nightly CRM sync since <!date^1705198440^{date_short_pretty} {time}|2024-01-14T02:14:00.000Z>*',
    );
    expect(headerOf(third.blocks)).toBe(':x: FAILED · Nightly CRM sync');
    const first = buildSlackMessage(failing(1));
    expect(first.text).toContain('First failure of Nightly CRM sync');
    expect(first.text).not.toMatch(/1st/);
    expect(buildSlackMessage(failing(2)).text).toContain('2nd failed run of');
    expect(buildSlackMessage(failing(11)).text).toContain('11th failed run of');
  });

  it('says RECOVERED, names the series, the failed runs and since when', () => {
    const message = buildSlackMessage(
      eventItem(
        { status: 'succeeded', error: undefined, summary: "Persona import 'Nightly CRM sync' succeeded: 10 of 10 rows imported" },
        { recovered: { incidentId: 'inc_1', series: SERIES, runsFailed: 2, since: '2024-01-16T02:14:09.118Z' } },
      ),
    );
    expect(message.text).toMatch(/^RECOVERED · persona · /);
    expect(message.text).toContain('Nightly CRM sync recovered after 2 failed runs since 2024-01-16 02:14 UTC');
    expect(headerOf(message.blocks)).toBe(':white_check_mark: RECOVERED · Nightly CRM sync');
    expect(texts(message.blocks).join('\n')).toContain('recovered after 2 failed runs since <!date^1705371249^');
    const one = buildSlackMessage(
      eventItem({ status: 'succeeded', error: undefined }, { recovered: { incidentId: 'i', series: { id: 'mprtp_ONLYID' }, runsFailed: 1, since: '2024-01-16T02:14:09.118Z' } }),
    );
    expect(one.text).toContain('mprtp_ONLYID recovered after 1 failed run since');
  });

  it('says how long a run had been stuck, also next to a recovery', () => {
    const unstuck = { incidentId: 'inc_2', lastActivityAt: '2024-01-15T19:11:00.000Z', stuckForSeconds: 7 * 3600 + 3 * 60 + 20 };
    const alone = buildSlackMessage(eventItem({ status: 'failed' }, { unstuck }));
    expect(alone.text).toContain('Finished after being stuck for 7 h 3 min');
    expect(texts(alone.blocks).join('\n')).toContain('Finished after being stuck for 7 h 3 min');

    const both = buildSlackMessage(
      eventItem({ status: 'succeeded', error: undefined }, { unstuck, recovered: { incidentId: 'inc_1', series: SERIES, runsFailed: 3, since: '2024-01-14T02:14:00.000Z' } }),
    );
    expect(both.text).toMatch(/^RECOVERED · /);
    expect(both.text).toContain('recovered after 3 failed runs');
    expect(both.text).toContain('stuck for 7 h 3 min');
  });

  it('says when an event occurred long before hookline received it', () => {
    const late = buildSlackMessage(eventItem({ occurredAt: '2024-01-16T02:14:09.118Z', receivedAt: '2024-01-16T05:19:40.000Z' }));
    expect(texts(late.blocks).join('\n')).toContain('Occurred 3 h 5 min before hookline received it');
    const onTime = buildSlackMessage(eventItem({ occurredAt: '2024-01-16T02:14:09.118Z', receivedAt: '2024-01-16T02:23:09.000Z' }));
    expect(all(onTime)).not.toContain('before hookline received it');
  });

  it('escapes &, < and > in everything the provider sent, so no mention or link can be injected', () => {
    const message = buildSlackMessage(
      eventItem(
        {
          subject: { id: 'a&b', name: '<!channel> <https://evil.example|click>' },
          parent: { id: 'p<1>', name: '<!here>' },
          summary: 'R&D <b>',
          error: { message: '<@U123> & more', code: '<#C1>', step: '<!subteam^S1>' },
          type: '<!everyone>',
        },
        { failing: { incidentId: 'i', series: { id: 'p<1>', name: '<!here> & co' }, failureNumber: 2, since: '2024-01-16T02:14:09.118Z' } },
      ),
      { publicUrl: 'https://hookline.example.com' },
    );
    const everything = all(message);
    expect(everything).not.toMatch(/<!channel>|<!here>|<!everyone>|<@U123>|<#C1>|<!subteam|<https:\/\/evil/);
    expect(everything).toContain('&lt;!channel&gt;');
    expect(everything).toContain('a&amp;b');
    expect(everything).toContain('R&amp;D &lt;b&gt;');
    // Only our own date tokens and our own link may use < >.
    expect(
      everything
        .replaceAll(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>/g, '')
        .replaceAll(/<https:\/\/hookline\.example\.com\/admin\/events\/[^|>]+\|Open in hookline>/g, ''),
    ).not.toMatch(/[<>]/);
  });

  it('clamps every text to the Block Kit limits, the blocks together included', () => {
    const long = 'x&'.repeat(5_000);
    for (const item of [
      eventItem({ subject: { id: 'id'.repeat(3_000), name: long }, parent: { id: long, name: long }, summary: long, error: { message: long, code: long, step: long } }, {
        failing: { incidentId: long, series: { id: long, name: long }, failureNumber: 9, since: '2024-01-16T02:14:09.118Z' },
        unstuck: { incidentId: long, lastActivityAt: '2024-01-15T02:14:09.118Z', stuckForSeconds: 90_000 },
      }),
      stuckItem({ subject: { id: long, name: long }, parent: { id: long, name: long }, lastEventId: long, incidentId: long }),
    ]) {
      const message = buildSlackMessage(item, { publicUrl: 'https://hookline.example.com', now: SAMPLE_NOW });
      const [header, summary, fields, context] = message.blocks;
      expect(header?.type === 'header' && header.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
      expect(summary?.type === 'section' && summary.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      for (const field of (fields?.type === 'section' && fields.fields) || []) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.field);
      expect(context?.type === 'context' && context.elements[0]!.text.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
      expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
      expect(texts(message.blocks).reduce((sum, text) => sum + text.length, 0)).toBeLessThanOrEqual(SLACK_LIMITS.blocksText);
      expect(slackLimitProblems(message)).toEqual([]);
      expect(JSON.stringify(message.blocks).length).toBeLessThan(13_000);
    }
  });

  it('never cuts an entity or a surrogate pair in half', () => {
    expect(slackText('ab&cd', 4)).toBe('ab…');
    expect(slackText('abc&', 6)).toBe('abc…');
    expect(slackText('a😀b', 3)).toBe('a…');
    expect(escapeSlack('<&>')).toBe('&lt;&amp;&gt;');
    expect(slackDate('garbage<')).toBe('garbage&lt;');
  });
});

describe('buildSlackMessage: a stuck run', () => {
  it('says stuck, the provider, the subject id and how long ago its last event occurred', () => {
    const message = buildSlackMessage(stuckItem(), { now: SAMPLE_NOW });
    expect(message.text).toBe(
      'STUCK · persona · Customer Data Import (mprtpr_RUN9): stuck: no event for 6 h 12 min (status running since 2024-01-16 02:14 UTC) · last event persona:evt_LAST9',
    );
    expect(headerOf(message.blocks)).toBe(':hourglass: STUCK · Nightly CRM sync');
    const blocks = texts(message.blocks).join('\n');
    expect(blocks).toContain('*Stuck: no event for 6 h 12 min.*');
    expect(blocks).toContain('a run is reported stuck after 6 h without an event');
    expect(blocks).toContain('persona:evt_LAST9');
    expect(blocks).toContain('mprtpr_RUN9');
  });

  it('counts from now, never from before the check found it', () => {
    expect(buildSlackMessage(stuckItem(), { now: Date.parse('2024-01-16T10:14:00.000Z') }).text).toContain('no event for 8 h');
    expect(buildSlackMessage(stuckItem(), { now: Date.parse('2024-01-16T01:00:00.000Z') }).text).toContain('no event for 6 h 1 min');
  });
});

describe('links to the status page', () => {
  const items: AlertItem[] = [eventItem(), stuckItem()];

  it('link each event (a stuck run: its last event) when PUBLIC_URL is set', () => {
    const [event, stuck] = items.map((item) => buildSlackMessage(item, { publicUrl: 'https://hookline.example.com/', now: SAMPLE_NOW }));
    expect(texts(event!.blocks).join('\n')).toContain('<https://hookline.example.com/admin/events/persona%3Aevt_ABC123DEF456|Open in hookline>');
    expect(texts(stuck!.blocks).join('\n')).toContain('<https://hookline.example.com/admin/events/persona%3Aevt_LAST9|Open in hookline>');
  });

  it('are left out without PUBLIC_URL', () => {
    for (const item of items) {
      const everything = all(buildSlackMessage(item, { now: SAMPLE_NOW }));
      expect(everything).not.toContain('/admin/events/');
      expect(everything).not.toContain('Open in hookline');
      expect(everything.replaceAll(/<!date\^[^>]+>/g, '')).not.toMatch(/[<>]/);
    }
  });

  it('encode the event key and drop a trailing slash', () => {
    expect(eventLink('https://h.example/base//', 'primer:WORKFLOW_RUN.FAILED:run 1/2')).toBe(
      'https://h.example/base/admin/events/primer%3AWORKFLOW_RUN.FAILED%3Arun%201%2F2',
    );
  });
});

describe('wording helpers', () => {
  it('humanDuration says whole units', () => {
    expect(humanDuration(42.9)).toBe('42 s');
    expect(humanDuration(-5)).toBe('0 s');
    expect(humanDuration(12 * 60 + 59)).toBe('12 min');
    expect(humanDuration(6 * 3600 + 12 * 60)).toBe('6 h 12 min');
    expect(humanDuration(6 * 3600)).toBe('6 h');
    expect(humanDuration(3 * 86_400 + 4 * 3600 + 59 * 60)).toBe('3 d 4 h');
    expect(humanDuration(2 * 86_400)).toBe('2 d');
  });

  it('ordinal', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 102, 111, 112].map(ordinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st', '102nd', '111th', '112th',
    ]);
  });
});
