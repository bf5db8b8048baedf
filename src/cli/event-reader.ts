import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import { LockHeldError } from '../db/lock-file.ts';
import { createPgDb } from '../db/pg-db.ts';
import { createEmbeddedDb } from '../db/pglite-db.ts';
import { jobRuns, recentEvents, type EventFilter, type JobRun, type JobRunFilter, type StoredEvent } from '../db/queries.ts';
import { CliError } from './cli-error.ts';

export interface EventReader {
  /** Where the rows come from, for the user. */
  readonly source: string;
  events(filter: EventFilter): Promise<StoredEvent[]>;
  runs(filter: JobRunFilter): Promise<JobRun[]>;
  close(): Promise<void>;
}

/**
 * Reads the database directly where it can. The embedded database belongs to one process: while a
 * hookline holds it, the CLI asks that process over HTTP (its /admin API, with ADMIN_TOKEN).
 * `url` (--url or HOOKLINE_URL) always means HTTP.
 */
export async function openEventReader(config: Config, url: string | undefined): Promise<EventReader> {
  if (url) return httpReader(url, config.adminToken);
  if (config.database.kind === 'postgres') {
    return dbReader(await createPgDb(config.database.url, { schema: config.database.schema, max: 1 }), 'PostgreSQL (DATABASE_URL)');
  }
  const { dataDir } = config.database;
  if (!existsSync(join(dataDir, 'pglite'))) {
    throw new CliError(`no embedded database in ${dataDir} yet: start hookline (npm start) or set DATA_DIR / DATABASE_URL`);
  }
  try {
    return dbReader(await createEmbeddedDb(dataDir), `the embedded database in ${dataDir}`);
  } catch (error) {
    if (!(error instanceof LockHeldError)) throw error;
    if (!config.adminToken) {
      throw new CliError(
        `the embedded database in ${dataDir} is in use by a running hookline (pid ${error.holder?.pid ?? '?'}). ` +
          'Set ADMIN_TOKEN for both and the CLI asks the running process, or stop it, or use DATABASE_URL.',
      );
    }
    return httpReader(`http://127.0.0.1:${config.port}`, config.adminToken);
  }
}

function dbReader(db: Db, source: string): EventReader {
  const explain = (error: unknown): never => {
    if ((error as { code?: unknown }).code === '42P01') throw new CliError(`${source} has no hookline tables: has hookline run against it?`);
    throw error;
  };
  return {
    source,
    events: (filter) => recentEvents(db, filter).catch(explain),
    runs: (filter) => jobRuns(db, filter).catch(explain),
    close: () => db.close(),
  };
}

function httpReader(baseUrl: string, token: string | undefined): EventReader {
  if (!token) throw new CliError('reading from a running hookline needs ADMIN_TOKEN (the same value the service has)');
  const root = `${baseUrl.replace(/\/$/, '')}/admin/api`;
  async function get<T>(path: string, query: Record<string, string | number | undefined>): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    let response: Response;
    try {
      response = await fetch(`${root}/${path}?${params.toString()}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new CliError(`hookline at ${baseUrl} did not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.status === 404) throw new CliError(`hookline at ${baseUrl} serves no /admin: is ADMIN_TOKEN set for it?`);
    if (response.status === 401) throw new CliError(`hookline at ${baseUrl} refused ADMIN_TOKEN`);
    if (!response.ok) throw new CliError(`hookline at ${baseUrl} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }
  return {
    source: `the hookline at ${baseUrl}`,
    async events(filter) {
      const query = { provider: filter.provider, status: filter.status, since: filter.since?.toISOString(), limit: filter.limit };
      return (await get<{ events: StoredEvent[] }>('events', query)).events;
    },
    async runs(filter) {
      return (await get<{ runs: JobRun[] }>('runs', { provider: filter.provider, status: filter.status, limit: filter.limit })).runs;
    },
    close: async () => undefined,
  };
}
