import { describe, expect, it } from 'vitest';
import { SLACK_LIMITS, buildSlackMessage, escapeSlack, slackDate, slackText, type SlackBlock } from '../../src/sinks/slack-message.ts';
import { sampleEvent } from './sample-event.ts';

const texts = (blocks: SlackBlock[]): string[] =>
  blocks.flatMap((block) => {
    if (block.type === 'header') return [block.text.text];
    if (block.type === 'context') return block.elements.map((e) => e.text);
    return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((f) => f.text)];
  });

describe('buildSlackMessage', () => {
  it('describes the event in the fallback text and in the blocks', () => {
    const message = buildSlackMessage(sampleEvent());
    expect(message.text).toBe(
      'FAILED · persona · Customer Data Import (mprtpr_ABC123DEF456): Persona import "Customer Data Import" failed: Row 7: email is not valid — error: [E_ROWS] step validate: Row 7: email is not valid',
    );
    const [header, summary, fields, context] = message.blocks;
    expect(header).toEqual({ type: 'header', text: { type: 'plain_text', text: ':x: FAILED · Customer Data Import', emoji: true } });
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
    const all = texts(message.blocks).join('\n');
    expect(all).toContain('total 10 · succeeded 8 · failed 2');
    expect(all).toContain('Nightly CRM sync (mprtp_PIPE1)');
    expect(all).toContain('<!date^1705371249^{date_short_pretty} {time}|2024-01-16T02:14:09.118Z>');
    expect(context).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringContaining('persona:evt_ABC123DEF456') }] });
  });

  it('leaves optional fields out', () => {
    const { parent: _parent, counts: _counts, error: _error, ...bare } = sampleEvent({ status: 'succeeded' });
    const message = buildSlackMessage(bare);
    const fields = message.blocks[2];
    expect(fields?.type === 'section' && fields.fields).toHaveLength(4);
    expect(message.text).not.toContain('error');
  });

  it('escapes &, < and > in everything the provider sent, so no mention or link can be injected', () => {
    const message = buildSlackMessage(
      sampleEvent({
        subject: { id: 'a&b', name: '<!channel> <https://evil.example|click>' },
        summary: 'R&D <b>',
        error: { message: '<@U123> & more' },
      }),
    );
    const all = [message.text, ...texts(message.blocks)].join('\n');
    expect(all).not.toMatch(/<!channel>|<@U123>|<https:/);
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('a&amp;b');
    expect(all).toContain('R&amp;D &lt;b&gt;');
    // Only our own date token may use < >.
    expect(all.replaceAll(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>/g, '')).not.toMatch(/[<>]/);
  });

  it('clamps every text to the Block Kit limits', () => {
    const long = 'x&'.repeat(5_000);
    const message = buildSlackMessage(
      sampleEvent({ subject: { id: 'id'.repeat(3_000), name: long }, summary: long, error: { message: long, code: 'C', step: 'S' } }),
    );
    const [header, summary, fields, context] = message.blocks;
    expect(header?.type === 'header' && header.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    expect(summary?.type === 'section' && summary.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    for (const field of (fields?.type === 'section' && fields.fields) || []) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.field);
    expect(context?.type === 'context' && context.elements[0]!.text.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    expect(JSON.stringify(message.blocks).length).toBeLessThan(13_000);
  });

  it('never cuts an entity or a surrogate pair in half', () => {
    expect(slackText('ab&cd', 4)).toBe('ab…');
    expect(slackText('abc&', 6)).toBe('abc…');
    expect(slackText('a😀b', 3)).toBe('a…');
    expect(escapeSlack('<&>')).toBe('&lt;&amp;&gt;');
    expect(slackDate('garbage<')).toBe('garbage&lt;');
  });
});
