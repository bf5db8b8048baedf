import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { FilterInputError } from '../replay/filter-input.ts';
import { CliError } from './cli-error.ts';
import type { EventsOptions } from './commands/events.ts';
import type { ReplayOptions } from './commands/replay.ts';
import type { RunsOptions } from './commands/runs.ts';
import type { SendSampleOptions } from './commands/send-sample.ts';
import type { ShowOptions } from './commands/show.ts';
import { databaseUrlOption, limitOption, providerOption, sinksOption, statusOption, timeOption, urlOption } from './options.ts';
import { PROVIDER_IDS, type ProviderId } from './providers.ts';

/** Documented in README.md (CLI): scripts rely on them. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const EXIT_CODES = `
Exit codes:
  0  done (doctor: every check passed or warned)
  1  something failed: a connection, a check (doctor), a dead letter not replayed, no such event (show)
  2  a usage error: an unknown command or option, a missing or bad value`;

const SOURCES = `
Where events, runs and show read from: --url (or HOOKLINE_URL) asks a running hookline over its
/admin API with ADMIN_TOKEN (or --token); else --database-url (or DATABASE_URL, with DATABASE_SCHEMA)
directly; else the embedded database in DATA_DIR, or the hookline holding it (on 127.0.0.1:$PORT).`;

function version(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return typeof raw === 'object' && raw !== null && 'version' in raw && typeof raw.version === 'string' ? raw.version : 'unknown';
}

function sourceOptions(command: Command, what: string): Command {
  return command
    .addOption(new Option('--url <base url>', `ask the hookline at this base URL (http://host:port) for ${what}, over its /admin API (default: HOOKLINE_URL)`).argParser(urlOption))
    .addOption(new Option('--database-url <postgres url>', 'read this PostgreSQL in place of DATABASE_URL (DATABASE_SCHEMA applies)').argParser(databaseUrlOption).conflicts('url'))
    .addOption(tokenOption());
}

function tokenOption(): Option {
  return new Option('--token <admin token>', "the hookline's ADMIN_TOKEN, for --url (default: ADMIN_TOKEN; the environment keeps it out of ps)");
}

const providerFlag = () => new Option('--provider <provider>', `only this provider (${PROVIDER_IDS.join(', ')})`).argParser(providerOption);
const statusFlag = () => new Option('--status <status>', 'only this status (failed, partial, succeeded, started, …)').argParser(statusOption);
const jsonFlag = () => new Option('--json', 'print JSON (fields: see README, CLI)');

/** The program; each command loads its own module (and clients: Redis, PGlite, pg, SMTP) only when it runs. */
export function buildProgram(run: (code: Promise<number>) => Promise<void>): Command {
  const program = new Command('hookline')
    .description('Looks at and acts on a hookline: its events, runs and dead letters. Reads the same environment variables as the service.')
    .version(version(), '-V, --version', "print hookline's version")
    .helpOption('-h, --help', 'show help for the program or a command')
    .showSuggestionAfterError(true)
    .addHelpText('after', `${SOURCES}\n${EXIT_CODES}`);
  // Set before the commands are added, which inherit them: one line on stderr for every usage error
  // ("hookline: option '--limit <n>' argument '-3' is invalid. …"), and an exit code of ours.
  program.configureOutput({ outputError: (message, write) => write(`hookline: ${message.replace(/^error: /, '')}`) });
  program.exitOverride();

  sourceOptions(
    program
      .command('events')
      .description('recent events, newest first')
      .addOption(providerFlag())
      .addOption(statusFlag())
      .addOption(new Option('--since <age or time>', 'received at or after: an age (90s, 15m, 2h, 3d, 1w) or an ISO 8601 time').argParser(timeOption('--since')))
      .addOption(new Option('--limit <n>', 'at most n events, 1 to 1000').argParser(limitOption(1_000)).default(20))
      .addOption(jsonFlag()),
    'its events',
  ).action((options: EventsOptions) => run(import('./commands/events.ts').then((m) => m.events(options))));

  sourceOptions(
    program
      .command('runs')
      .description("every run's latest status (job_runs), failures first, with the error")
      .addOption(providerFlag())
      .addOption(statusFlag())
      .addOption(new Option('--limit <n>', 'at most n runs, 1 to 1000').argParser(limitOption(1_000)).default(50))
      .addOption(jsonFlag()),
    'its runs',
  ).action((options: RunsOptions) => run(import('./commands/runs.ts').then((m) => m.runs(options))));

  sourceOptions(
    program
      .command('show')
      .description('one event: its normalized event, status, run, deliveries per destination, dead letters and raw body')
      .argument('<event key>', 'the event key, e.g. persona:evt_ABC123 (the events list and alerts show it)')
      .addOption(jsonFlag()),
    'the event',
  ).action((key: string, options: ShowOptions) => run(import('./commands/show.ts').then((m) => m.show(key, options))));

  program
    .command('replay')
    .description('replays dead letters: failed deliveries and events that could not be normalized')
    .addOption(new Option('--key <event key>', 'everything of one event').argParser(nonEmpty('an event key')))
    .addOption(providerFlag())
    .addOption(
      new Option('--sink <sinks>', 'only these destinations, comma-separated: database, slack, email, a route id (slack-crm), ingest (not normalized)').argParser(sinksOption),
    )
    .addOption(new Option('--since <age or time>', 'failed (for the last time) at or after: an age or an ISO 8601 time').argParser(timeOption('--since')))
    .addOption(new Option('--until <age or time>', 'failed before: an age or an ISO 8601 time').argParser(timeOption('--until')))
    .addOption(new Option('--limit <n>', 'at most n dead letters, 1 to 100000 (10000 through --url)').argParser(limitOption(100_000)).default(10_000))
    .addOption(new Option('--all', 'every dead letter (needed when no filter is given)'))
    .addOption(new Option('--dry-run', 'list what would be replayed; change nothing'))
    .addOption(new Option('--url <base url>', "replay through the hookline at this base URL (its /admin API) instead of Redis").argParser(urlOption))
    .addOption(tokenOption())
    .addOption(jsonFlag())
    .action((options: ReplayOptions) => run(import('./commands/replay.ts').then((m) => m.replay(options))));

  program
    .command('send-sample')
    .description("signs the provider's sample with its configured secret, exactly as the provider would, and POSTs it")
    .argument('<provider>', PROVIDER_IDS.join(', '), providerArgument)
    .addOption(new Option('--url <base url>', 'the hookline to send to (default: HOOKLINE_URL, else http://127.0.0.1:$PORT)').argParser(urlOption))
    .addOption(new Option('--unique', 'a fresh event key, so that it is not a duplicate'))
    .action((provider: ProviderId, options: SendSampleOptions) => run(import('./commands/send-sample.ts').then((m) => m.sendSampleCommand(provider, options))));

  program
    .command('doctor')
    .description('checks the configuration and every connection it names (Redis, database, SMTP, Slack URLs, /admin); exits 1 on a failure')
    .action(() => run(import('./commands/doctor.ts').then((m) => m.doctor(process.env))));

  return program;
}

function providerArgument(value: string): ProviderId {
  const provider = providerOption(value);
  if (!provider) throw new InvalidArgumentError(`expected one of ${PROVIDER_IDS.join(', ')}`);
  return provider;
}

function nonEmpty(what: string): (value: string) => string {
  return (value) => {
    if (value.trim() === '') throw new InvalidArgumentError(`expected ${what}, not an empty value`);
    return value;
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let work: Promise<number> | undefined;
  const program = buildProgram(async (code) => {
    work = code;
    await code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here too; a bare `hookline` shows the help as an error (exit 2).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return EXIT.usage;
  }
  return work ?? EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError || error instanceof FilterInputError) {
      process.stderr.write(`hookline: ${error.message}\n`);
      process.exitCode = error instanceof CliError ? error.exitCode : EXIT.usage;
      return;
    }
    process.stderr.write(`hookline: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
