import { parseArgs } from 'node:util';
import type { Config } from '../../config/config.ts';
import { limitInput, providerInput, statusInput } from '../../replay/filter-input.ts';
import { openEventReader } from '../event-reader.ts';
import { shortTime, table } from '../table.ts';

export async function runs(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      provider: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  const filter = { provider: providerInput(values.provider), status: statusInput(values.status), limit: limitInput(values.limit) ?? 50 };
  const reader = await openEventReader(config, values.url ?? process.env.HOOKLINE_URL);
  try {
    const rows = await reader.runs(filter);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      process.stdout.write(`no runs (from ${reader.source})\n`);
      return 0;
    }
    process.stdout.write(
      `${table(
        ['status', 'provider', 'run', 'occurred at', 'error / summary'],
        rows.map((r) => [
          r.status,
          r.provider,
          r.subjectName ? `${r.subjectName} (${r.subjectId})` : r.subjectId,
          shortTime(r.occurredAt),
          r.errorMessage ? `${r.errorCode ? `${r.errorCode}: ` : ''}${r.errorMessage}` : r.summary,
        ]),
        80,
      )}\n`,
    );
    return 0;
  } finally {
    await reader.close();
  }
}
