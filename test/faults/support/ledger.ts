import { appendFileSync } from 'node:fs';
import pg from 'pg';
import type { SlackStandIn } from '../../support/slack-stand-in.ts';
import type { SmtpStandIn } from '../../support/smtp-stand-in.ts';
import { countKeys } from '../../support/alert-keys.ts';
import type { Delivery, StreamTotals } from './provider-stream.ts';

type Counts = Map<string, number>;

export type SinkReaders = {
  rows: () => Promise<Counts>;
  /** How many Slack messages (alone or digests) named each of `keys`. */
  slack: (keys: readonly string[]) => Counts;
  email: (keys: readonly string[]) => Counts;
  slackMessages: () => number;
  emailMessages: () => number;
};

export function sinkReaders(options: { databaseUrl: string; schema: string; slack: SlackStandIn; smtp: SmtpStandIn }): SinkReaders {
  return {
    async rows() {
      const client = new pg.Client({ connectionString: options.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string; n: string }>(
          `select id, count(*)::text as n from ${options.schema}.webhook_events group by id`,
        );
        return new Map(rows.map((row) => [row.id, Number(row.n)]));
      } catch (error) {
        if ((error as { code?: string }).code === '42P01') return new Map();
        throw error;
      } finally {
        await client.end();
      }
    },
    slack(keys) {
      return countKeys(options.slack.texts, new Set(keys));
    },
    email(keys) {
      return countKeys(options.smtp.messages.map((mail) => mail.text ?? ''), new Set(keys));
    },
    slackMessages: () => options.slack.delivered.length,
    emailMessages: () => options.smtp.messages.length,
  };
}

export type Ledger = {
  scenario: string;
  sent: number;
  answered2xx: number;
  answered503: number;
  resent: number;
  rows: number;
  slack: number;
  emails: number;
  /** Messages that carried them: digests report many events in one. */
  slackMessages: number;
  emailMessages: number;
  lost: { rows: number; slack: number; email: number };
  doubled: { rows: number; slack: number; email: number };
  /** Refused for good by a sink by design (Slack 400, SMTP 550): dead letters, not losses. */
  deadLettered: { slack: number; email: number };
  note: string;
};

function doubledIn(counts: Counts): number {
  let doubled = 0;
  for (const n of counts.values()) doubled += Math.max(0, n - 1);
  return doubled;
}

function missingIn(keys: string[], counts: Counts): string[] {
  return keys.filter((key) => !counts.has(key));
}

/** Waits until every accepted event is at every sink (less the expected dead letters), then a little longer for late doubles. */
export async function settle(
  keys: string[],
  readers: SinkReaders,
  expectedDead: { slack: number; email: number },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await readers.rows();
    const done =
      missingIn(keys, rows).length === 0 &&
      missingIn(keys, readers.slack(keys)).length <= expectedDead.slack &&
      missingIn(keys, readers.email(keys)).length <= expectedDead.email;
    if (done) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 1_500));
}

export async function buildLedger(
  scenario: string,
  stream: { deliveries: Delivery[]; totals: StreamTotals },
  readers: SinkReaders,
  deadLettered: { slack: number; email: number },
  note = '',
): Promise<Ledger> {
  const keys = stream.deliveries.map((d) => d.key).filter((key): key is string => key !== undefined);
  // Only this stream's events: several streams may share the sinks.
  const mine = (counts: Counts): Counts => new Map([...counts].filter(([key]) => keys.includes(key)));
  const rows = mine(await readers.rows());
  const slack = mine(readers.slack(keys));
  const email = mine(readers.email(keys));
  return {
    scenario,
    sent: stream.totals.sent,
    answered2xx: keys.length,
    answered503: stream.totals.answered503,
    resent: stream.totals.resent,
    rows: [...rows.values()].reduce((a, b) => a + b, 0),
    slack: [...slack.values()].reduce((a, b) => a + b, 0),
    emails: [...email.values()].reduce((a, b) => a + b, 0),
    slackMessages: readers.slackMessages(),
    emailMessages: readers.emailMessages(),
    lost: {
      // An event the provider never got a 2xx for would be resent by it; the stream resends until 2xx.
      rows: missingIn(keys, rows).length + (stream.totals.sent - keys.length),
      slack: Math.max(0, missingIn(keys, slack).length - deadLettered.slack),
      email: Math.max(0, missingIn(keys, email).length - deadLettered.email),
    },
    doubled: { rows: doubledIn(rows), slack: doubledIn(slack), email: doubledIn(email) },
    deadLettered,
    note,
  };
}

const HEADER =
  '| scenario | sent | 2xx | 503 (re-sent) | rows | Slack (messages) | emails (messages) | lost rows/Slack/email | doubled rows/Slack/email | dead letters Slack/email | note |\n' +
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';

export function formatLedger(ledger: Ledger): string {
  const l = ledger;
  return `| ${l.scenario} | ${l.sent} | ${l.answered2xx} | ${l.answered503} (${l.resent}) | ${l.rows} | ${l.slack} (${l.slackMessages}) | ${l.emails} (${l.emailMessages}) | ` +
    `${l.lost.rows}/${l.lost.slack}/${l.lost.email} | ${l.doubled.rows}/${l.doubled.slack}/${l.doubled.email} | ` +
    `${l.deadLettered.slack}/${l.deadLettered.email} | ${l.note} |`;
}

/** Prints the scenario's ledger; FAULTS_LEDGER_FILE collects every scenario's row in one file. */
export function printLedger(ledger: Ledger): void {
  const row = formatLedger(ledger);
  console.log(`\n[ledger]\n${HEADER}\n${row}\n`);
  const file = process.env.FAULTS_LEDGER_FILE;
  if (file) appendFileSync(file, `${row}\n`);
}

/** Every configured secret and every credential sent must be absent from every log line. */
export function leakedSecrets(lines: readonly string[], secrets: Iterable<string>): string[] {
  const text = lines.join('\n');
  const needles = new Set<string>();
  for (const secret of secrets) {
    needles.add(secret);
    // A signature header holds several values (`t=…,v1=<hex>`, two sets in a rotation): look for each.
    for (const part of secret.split(/[\s,]+/)) needles.add(part.slice(part.indexOf('=') + 1));
  }
  return [...needles].filter((needle) => needle.length >= 12 && text.includes(needle));
}
