import type { DeadLetter } from '../../replay/dead-letters.ts';
import { openReplayQueues } from '../../replay/replay-queues.ts';
import { replayDeadLetters, type ReplayOutcome } from '../../replay/replay.ts';
import { adminClient } from '../admin-client.ts';
import { cliContext, type SourceOptions } from '../cli-config.ts';
import { CliError } from '../cli-error.ts';
import { printJson, replayJson } from '../json-output.ts';
import { redisMustAnswer } from '../redis-probe.ts';
import type { ProviderId } from '../providers.ts';
import { shortTime, table } from '../table.ts';

export type ReplayOptions = Omit<SourceOptions, 'databaseUrl'> & {
  key?: string | undefined;
  provider?: ProviderId | undefined;
  sink?: string[] | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
  all?: boolean | undefined;
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
};

/**
 * Replay works on Redis alone, so it never needs the database (nor the process holding it); with
 * --url it asks a running hookline to do it (POST /admin/api/replay), for a Redis out of reach.
 */
export async function replay(options: ReplayOptions): Promise<number> {
  const filter = { key: options.key, provider: options.provider, sinks: options.sink, since: options.since, until: options.until, limit: options.limit };
  const narrowed = filter.key !== undefined || filter.provider || filter.sinks || filter.since || filter.until;
  if (!narrowed && !options.all && !options.dryRun) {
    throw new CliError('replay what? Give --key, --provider, --sink, --since/--until, or --all (see what would go with --dry-run)', 2);
  }
  // Only an explicit --url: HOOKLINE_URL says where to read events, and replay needs no running process.
  const { config, url, token } = cliContext({ url: options.url, token: options.token }, { envUrl: false });

  let outcome: ReplayOutcome;
  if (url) {
    outcome = await adminClient(url, token).post<ReplayOutcome>('replay', {
      key: filter.key,
      provider: filter.provider,
      sink: filter.sinks?.join(','),
      since: filter.since?.toISOString(),
      until: filter.until?.toISOString(),
      limit: filter.limit,
      dryRun: options.dryRun === true,
    });
  } else {
    await redisMustAnswer(config.redis, 'check REDIS_URL and QUEUE_PREFIX, or replay through a running hookline with --url <its base URL>');
    const queues = openReplayQueues(config.redis, config.queuePrefix, config.destinations.map((d) => d.id));
    try {
      outcome = await replayDeadLetters(queues, filter, { dryRun: options.dryRun === true });
    } finally {
      await queues.close();
    }
  }

  if (options.json) {
    printJson(replayJson(outcome));
    return outcome.skipped.length > 0 ? 1 : 0;
  }
  if (outcome.replayed.length === 0 && outcome.skipped.length === 0) {
    process.stdout.write('no dead letters match\n');
    return 0;
  }
  if (outcome.replayed.length > 0) process.stdout.write(`${describe(outcome.replayed)}\n`);
  process.stdout.write(
    outcome.dryRun
      ? `${outcome.replayed.length} dead letter(s) would be replayed (dry run: nothing changed)\n`
      : `replayed ${outcome.replayed.length} dead letter(s); their jobs run again now\n`,
  );
  for (const { letter, reason } of outcome.skipped) {
    process.stderr.write(`not replayed: ${letter.queue} job ${letter.jobId} (${letter.eventKey}): ${reason}\n`);
  }
  return outcome.skipped.length > 0 ? 1 : 0;
}

function describe(letters: readonly DeadLetter[]): string {
  return table(
    ['failed at', 'where', 'event key', 'error'],
    letters.map((letter) => [
      shortTime(letter.failedAt),
      letter.kind === 'ingest' ? 'not normalized' : `${letter.sink ?? letter.queue} delivery`,
      letter.eventKey,
      letter.error,
    ]),
    70,
  );
}
