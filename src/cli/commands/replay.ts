import { parseArgs } from 'node:util';
import type { Config } from '../../config/config.ts';
import type { DeadLetter } from '../../replay/dead-letters.ts';
import { limitInput, providerInput, sinksInput, timeInput } from '../../replay/filter-input.ts';
import { openReplayQueues } from '../../replay/replay-queues.ts';
import { replayDeadLetters } from '../../replay/replay.ts';
import { CliError } from '../cli-error.ts';
import { shortTime, table } from '../table.ts';

/** Replay works on Redis alone, so it never needs the database (nor the process holding it). */
export async function replay(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      provider: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      sink: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const filter = {
    key: values.key,
    provider: providerInput(values.provider),
    sinks: sinksInput(values.sink),
    since: timeInput('--since', values.since),
    until: timeInput('--until', values.until),
    limit: limitInput(values.limit, 100_000) ?? 10_000,
  };
  const narrowed = filter.key !== undefined || filter.provider || filter.sinks || filter.since || filter.until;
  if (!narrowed && !values.all && !values['dry-run']) {
    throw new CliError('replay what? Give --key, --provider, --sink, --since/--until, or --all (see what would go with --dry-run)', 2);
  }

  const queues = openReplayQueues(config.redisUrl, config.queuePrefix, config.destinations.map((d) => d.id));
  try {
    const outcome = await replayDeadLetters(queues, filter, { dryRun: values['dry-run'] });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
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
  } finally {
    await queues.close();
  }
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
