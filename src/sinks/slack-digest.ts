import type { AlertItem } from '../alerts/alert-item.ts';
import {
  alertClass,
  classEmoji,
  classLabel,
  digestTally,
  groupAlerts,
  headlineName,
  itemLink,
  shortDetail,
  shortMarks,
  stuckPhrase,
  type MessageOptions,
} from './alert-text.ts';
import { flat } from '../shared/text.ts';
import { SLACK_LIMITS, buildSlackMessage, escapeSlack, slackLink, slackText, type SlackBlock, type SlackMessage } from './slack-message.ts';

/** SPEC 6: a Slack digest reports up to 20 alerts. */
export const SLACK_DIGEST_MAX = 20;

/**
 * How much of each line's free text a digest keeps, richest first: a digest takes the first level
 * at which all its alerts fit. Keys, subject ids, statuses and providers are never shortened.
 */
type Level = { name: number; detail: number };
const LEVELS: readonly Level[] = [
  { name: 120, detail: 300 },
  { name: 80, detail: 160 },
  { name: 48, detail: 80 },
  { name: 32, detail: 40 },
  { name: 20, detail: 0 },
];

function subjectOf(item: AlertItem): { id: string; name?: string | undefined } {
  return item.kind === 'event' ? item.event.subject : item.report.subject;
}

/** The key a line shows verbatim: the event key, or a stuck run's last event. */
function keyPart(item: AlertItem): string {
  return item.kind === 'event' ? `\`${escapeSlack(item.event.id)}\`` : `last event \`${escapeSlack(item.report.lastEventId)}\``;
}

/** Free text of a line: the error in a few words; a stuck run always says it is stuck. */
function detailPart(item: AlertItem, level: Level, options: MessageOptions): string | undefined {
  if (level.detail > 0) return slackText(shortDetail(item, options), level.detail);
  return item.kind === 'stuck' ? escapeSlack(stuckPhrase(item.report, options)) : undefined;
}

/** "• :x: *Nightly CRM sync* (3rd failure) · run `mprtpr_1` · Row 7: email is not valid · `persona:evt_1` · <…|open>". */
function blockLine(item: AlertItem, level: Level, options: MessageOptions): string {
  const subject = subjectOf(item);
  const name = headlineName(item);
  const marks = shortMarks(item);
  const link = itemLink(item, options);
  const named = [
    name !== subject.id ? `*${slackText(flat(name), level.name)}*` : '',
    marks.length > 0 ? `(${marks.join(', ')})` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const detail = detailPart(item, level, options);
  const parts = [named, `run \`${escapeSlack(subject.id)}\``, detail, keyPart(item), link && slackLink(link, 'open')];
  return `• ${classEmoji(alertClass(item))} ${parts.filter(Boolean).join(' · ')}`;
}

/** "FAILED · persona · Customer Data Import (mprtpr_1) (3rd failure): Row 7: … · persona:evt_1". */
function textLine(item: AlertItem, level: Level, options: MessageOptions): string {
  const subject = subjectOf(item);
  const provider = item.kind === 'event' ? item.event.provider : item.report.provider;
  const name = subject.name === undefined ? undefined : flat(subject.name);
  const ref = name && name !== subject.id ? `${slackText(name, level.name)} (${escapeSlack(subject.id)})` : escapeSlack(subject.id);
  const marks = shortMarks(item);
  const detail = detailPart(item, level, options);
  const key = item.kind === 'event' ? escapeSlack(item.event.id) : `last event ${escapeSlack(item.report.lastEventId)}`;
  return `${classLabel(alertClass(item))} · ${provider} · ${ref}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}${detail ? `: ${detail}` : ''} · ${key}`;
}

function render(items: readonly AlertItem[], level: Level, options: MessageOptions): SlackMessage {
  const tally = `hookline: ${digestTally(items)}`;
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: slackText(tally, SLACK_LIMITS.header), emoji: true } }];
  const textLines = [escapeSlack(tally)];

  for (const group of groupAlerts(items)) {
    const title = `*${classEmoji(group.cls)} ${classLabel(group.cls)} · ${group.provider}* — ${group.items.length}`;
    const push = (text: string) => blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
    // A group longer than a section goes on in the next one, under the same title.
    let current = title;
    let lines = 0;
    for (const item of group.items) {
      const next = blockLine(item, level, options);
      if (lines > 0 && current.length + 1 + next.length > SLACK_LIMITS.sectionText) {
        push(current);
        current = `${title} (continued)`;
        lines = 0;
      }
      current += `\n${next}`;
      lines += 1;
      textLines.push(textLine(item, level, options));
    }
    push(current);
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'One digest: more alerts waited than this channel’s pace allows.' }],
  });
  return { text: textLines.join('\n'), blocks };
}

/** Every text a message's blocks hold (header, sections, fields, context elements). */
export function slackBlockTexts(blocks: readonly SlackBlock[]): string[] {
  return blocks.flatMap((block) => {
    if (block.type === 'header') return [block.text.text];
    if (block.type === 'context') return block.elements.map((element) => element.text);
    return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((f) => f.text)];
  });
}

/**
 * What in `message` Slack would refuse, or that we keep it from (empty when it fits): at most 50
 * blocks, header 150, section 3,000, 10 fields of 2,000, context 10 elements of 2,000, all block
 * texts together 11,000, `text` 12,000.
 */
export function slackLimitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.blocks.length > SLACK_LIMITS.blocks) problems.push(`${message.blocks.length} blocks`);
  for (const [index, block] of message.blocks.entries()) {
    if (block.type === 'header' && block.text.text.length > SLACK_LIMITS.header) problems.push(`header ${index} too long`);
    if (block.type === 'section') {
      if (block.text && block.text.text.length > SLACK_LIMITS.sectionText) problems.push(`section ${index} too long`);
      if ((block.fields ?? []).length > SLACK_LIMITS.fields) problems.push(`section ${index}: too many fields`);
      if ((block.fields ?? []).some((f) => f.text.length > SLACK_LIMITS.field)) problems.push(`section ${index}: field too long`);
    }
    if (block.type === 'context') {
      if (block.elements.length > SLACK_LIMITS.contextElements) problems.push(`context ${index}: too many elements`);
      if (block.elements.some((e) => e.text.length > SLACK_LIMITS.contextText)) problems.push(`context ${index} too long`);
    }
  }
  const total = slackBlockTexts(message.blocks).reduce((sum, text) => sum + text.length, 0);
  if (total > SLACK_LIMITS.blocksText) problems.push(`blocks hold ${total} characters`);
  if (message.text.length > SLACK_LIMITS.digestText) problems.push(`text holds ${message.text.length} characters`);
  return problems;
}

const fits = (message: SlackMessage): boolean => slackLimitProblems(message).length === 0;

/**
 * How many of the leading `items` (1 to 20) one digest carries within Slack's limits, with every
 * event key (a stuck run's last event key) verbatim. 1 means: send the first alone, with
 * buildSlackMessage. 0 only for no items.
 */
export function slackDigestCapacity(items: readonly AlertItem[], options: MessageOptions = {}): number {
  const most = Math.min(items.length, SLACK_DIGEST_MAX);
  // Lines only grow with a richer level and messages with more alerts, so: the most alerts that
  // fit at the leanest level, by bisection.
  const leanest = LEVELS[LEVELS.length - 1]!;
  const fitsCount = (count: number) => fits(render(items.slice(0, count), leanest, options));
  if (most <= 1) return most;
  if (fitsCount(most)) return most;
  let low = 1; // fits (alone, as a single message)
  let high = most; // does not fit
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fitsCount(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * One message for several alerts: a header counting them, a section per (status, provider) with
 * failures first, a line per alert. Lines are shortened as far as needed to fit; only
 * slackDigestCapacity(items) leading items are sure to fit (past that it is sent as built, and a
 * refusal splits it). One item is the single message.
 */
export function buildSlackDigest(items: readonly AlertItem[], options: MessageOptions = {}): SlackMessage {
  const [first] = items;
  if (items.length === 1 && first) return buildSlackMessage(first, options);
  let message: SlackMessage | undefined;
  for (const level of LEVELS) {
    message = render(items, level, options);
    if (fits(message)) return message;
  }
  return message!;
}
