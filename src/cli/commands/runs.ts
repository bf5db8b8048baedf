import type { EventStatus } from '../../normalizers/normalized-event.ts';
import { cliContext, type SourceOptions } from '../cli-config.ts';
import { openEventReader } from '../event-reader.ts';
import { printJson, runJson } from '../json-output.ts';
import type { ProviderId } from '../providers.ts';
import { shortTime, table } from '../table.ts';

export type RunsOptions = SourceOptions & {
  provider?: ProviderId | undefined;
  status?: EventStatus | undefined;
  limit: number;
  json?: boolean | undefined;
};

export async function runs(options: RunsOptions): Promise<number> {
  const { config, url, token } = cliContext(options);
  const reader = await openEventReader(config, { url, token });
  try {
    const rows = await reader.runs({ provider: options.provider, status: options.status, limit: options.limit });
    if (options.json) {
      printJson(rows.map(runJson));
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
