import { parseArgs } from 'node:util';
import type { Config } from '../../config/config.ts';
import { limitInput, providerInput, statusInput, timeInput } from '../../replay/filter-input.ts';
import { openEventReader } from '../event-reader.ts';
import { shortTime, table } from '../table.ts';

export async function events(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      provider: { type: 'string' },
      status: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  const filter = {
    provider: providerInput(values.provider),
    status: statusInput(values.status),
    since: timeInput('--since', values.since),
    limit: limitInput(values.limit) ?? 20,
  };
  const reader = await openEventReader(config, values.url ?? process.env.HOOKLINE_URL);
  try {
    const rows = await reader.events(filter);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      process.stdout.write(`no events (from ${reader.source})\n`);
      return 0;
    }
    process.stdout.write(
      `${table(
        ['received at', 'provider', 'status', 'type', 'subject', 'event key'],
        rows.map((e) => [shortTime(e.receivedAt), e.provider, e.status, e.type, e.subjectName ?? e.subjectId, e.id]),
      )}\n`,
    );
    return 0;
  } finally {
    await reader.close();
  }
}
