import type { EventStatus } from '../../normalizers/normalized-event.ts';
import { cliContext, type SourceOptions } from '../cli-config.ts';
import { openEventReader } from '../event-reader.ts';
import { eventJson, printJson } from '../json-output.ts';
import type { ProviderId } from '../providers.ts';
import { shortTime, table } from '../table.ts';

export type EventsOptions = SourceOptions & {
  provider?: ProviderId | undefined;
  status?: EventStatus | undefined;
  since?: Date | undefined;
  limit: number;
  json?: boolean | undefined;
};

export async function events(options: EventsOptions): Promise<number> {
  const { config, url, token } = cliContext(options);
  const reader = await openEventReader(config, { url, token });
  try {
    const rows = await reader.events({ provider: options.provider, status: options.status, since: options.since, limit: options.limit });
    if (options.json) {
      printJson(rows.map(eventJson));
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
