import type { EventPageData } from '../../admin/event-data.ts';
import { cliContext, type SourceOptions } from '../cli-config.ts';
import { CliError } from '../cli-error.ts';
import { openEventReader } from '../event-reader.ts';
import { printJson, showJson } from '../json-output.ts';
import { shortTime, table } from '../table.ts';

export type ShowOptions = SourceOptions & { json?: boolean | undefined };

/** One event, with what the status page's event page shows of it (src/admin/event-data.ts). */
export async function show(key: string, options: ShowOptions): Promise<number> {
  const { config, url, token } = cliContext(options);
  const reader = await openEventReader(config, { url, token });
  let data: EventPageData | undefined;
  try {
    data = await reader.show(key);
  } finally {
    await reader.close();
  }
  if (!data) throw new CliError(`no event with the key "${key}" (in ${reader.source})`);
  if (options.json) printJson(showJson(data));
  else process.stdout.write(describe(data));
  return 0;
}

function describe(data: EventPageData): string {
  const { event: e, run } = data;
  const named = (id: string | null, name: string | null) => (id === null ? '-' : name ? `${name} (${id})` : id);
  const lines: string[] = [
    fields([
      ['event', e.id],
      ['status', e.status],
      ['provider', e.provider],
      ['type', `${e.type} (${e.category})`],
      ['subject', named(e.subjectId, e.subjectName)],
      ['parent', named(e.parentId, e.parentName)],
      ['occurred at', shortTime(e.occurredAt)],
      ['received at', shortTime(e.receivedAt)],
      ['summary', e.summary],
    ]),
    '',
    'run (job_runs):',
    run
      ? indent(
          fields([
            ['status', run.status],
            ['latest event', `${run.eventId}${run.eventId === e.id ? ' (this one)' : ''}`],
            ['occurred at', shortTime(run.occurredAt)],
            ...(run.errorMessage ? [['error', `${run.errorCode ? `${run.errorCode}: ` : ''}${run.errorMessage}`] as [string, string]] : []),
          ]),
        )
      : '  none recorded',
    '',
    'deliveries:',
    indent(deliveries(data)),
  ];
  if (data.deadLetters.length > 0) {
    lines.push('', 'dead letters (hookline replay --key <event key>):');
    lines.push(indent(table(['failed at', 'queue', 'job', 'error'], data.deadLetters.map((l) => [shortTime(l.failedAt), l.queue, l.jobId, l.error]), 70)));
  }
  lines.push('', 'normalized event:', indent(JSON.stringify(data.event.event, null, 2)));
  lines.push('', data.rawBody ? `raw body (from the ${data.rawBody.source}):` : 'raw body:', indent(data.rawBody ? data.rawBody.text : 'not available'));
  if (data.problems.length > 0) lines.push('', 'could not be read:', ...data.problems.map((problem) => `  ${problem}`));
  return `${lines.join('\n')}\n`;
}

function deliveries(data: EventPageData): string {
  if (!data.deliveries) return 'unknown (no ingest job for this event any more, or Redis did not answer)';
  const rows = data.deliveries.filter((d) => d.state !== 'none' || d.delivered === true);
  if (rows.length === 0) return 'no delivery jobs (the event went to the database only, or was written in place)';
  return table(
    ['destination', 'state', 'attempts', 'delivered', 'error'],
    rows.map((d) => [d.destination, d.state, d.attemptsMade === undefined ? '-' : String(d.attemptsMade), d.delivered === undefined ? '-' : d.delivered ? 'yes' : 'no', d.error ?? '']),
    70,
  );
}

function fields(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...pairs.map(([name]) => name.length));
  return pairs.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
