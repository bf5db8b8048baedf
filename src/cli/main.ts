import { loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../shared/errors.ts';
import { FilterInputError } from '../replay/filter-input.ts';
import { CliError } from './cli-error.ts';

const USAGE = `hookline <command> [options]    (reads the same environment variables as the service)

  events        recent events, newest first
                  --provider <p> --status <s> --since <15m|2h|3d|ISO time> --limit <n> --json
  runs          every run's latest status, failures first
                  --provider <p> --status <s> --limit <n> --json
  replay        retries dead letters: failed deliveries and events that could not be normalized
                  --key <event key> | --provider <p> | --since <t> --until <t> | --all
                  --sink <database,slack,email,ingest> --dry-run --json
  send-sample <provider>
                signs the provider's sample with the configured secret and POSTs it
                  --url <base url (default http://127.0.0.1:$PORT)> --unique (a fresh event key)
  doctor        checks the configuration and every connection; exits 1 on a problem

  events and runs read DATABASE_URL, or the embedded database; while a running hookline holds the
  embedded database they ask it over HTTP (needs ADMIN_TOKEN), as they do with --url / HOOKLINE_URL.`;

type Command = (args: string[], config: Config) => Promise<number>;

/** Loaded on demand: each command pulls in only its own clients (Redis, PGlite, pg, SMTP). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  events: async () => (await import('./commands/events.ts')).events,
  runs: async () => (await import('./commands/runs.ts')).runs,
  replay: async () => (await import('./commands/replay.ts')).replay,
  'send-sample': async () => (await import('./commands/send-sample.ts')).sendSampleCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === 'doctor') return (await import('./commands/doctor.ts')).doctor(process.env);
  const load = COMMANDS[name];
  if (!load) throw new CliError(`unknown command "${name}"\n\n${USAGE}`, 2);
  const config = readConfig();
  return (await load())(args, config);
}

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`invalid configuration: ${error.message}`);
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError || error instanceof FilterInputError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`hookline: ${error.message}\n`);
      process.exitCode = error instanceof CliError ? error.exitCode : 2;
      return;
    }
    process.stderr.write(`hookline: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
