import type { Config } from '../config/config.ts';
import { loadConfig } from '../config/load-config.ts';
import { ConfigError } from '../shared/errors.ts';
import { CliError } from './cli-error.ts';

/** The options that say where a command reads from (events, runs, show, replay). */
export type SourceOptions = {
  /** A running hookline's base URL (--url); HOOKLINE_URL when not given. */
  url?: string | undefined;
  /** --database-url: in place of DATABASE_URL. */
  databaseUrl?: string | undefined;
  /** --token: in place of ADMIN_TOKEN. */
  token?: string | undefined;
};

export type CliContext = { config: Config; url: string | undefined; token: string | undefined };

/**
 * The service's configuration from the environment, with the command's flags in place of the
 * variables they stand for. Over HTTP the database is the running process's business, so
 * DATABASE_URL and DATABASE_SCHEMA are left out: a DATABASE_SCHEMA meant for another command never
 * stops this one (loadConfig refuses a schema without a URL).
 */
export function cliContext(options: SourceOptions, { envUrl = true, env = process.env }: { envUrl?: boolean; env?: NodeJS.ProcessEnv } = {}): CliContext {
  const url = options.url ?? (envUrl && options.databaseUrl === undefined ? nonEmpty(env.HOOKLINE_URL) : undefined);
  const effective: Record<string, string | undefined> = { ...env };
  if (options.databaseUrl !== undefined) effective.DATABASE_URL = options.databaseUrl;
  // A token given on the command line is the client's to send; the service's checks of it are its own.
  if (options.token !== undefined) delete effective.ADMIN_TOKEN;
  if (url !== undefined) {
    delete effective.DATABASE_URL;
    delete effective.DATABASE_SCHEMA;
  }
  const config = readConfig(effective);
  return { config, url: url?.replace(/\/+$/, ''), token: options.token ?? config.adminToken };
}

export function readConfig(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`invalid configuration: ${error.message}`);
    throw error;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
