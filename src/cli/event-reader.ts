import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readEventPage, type EventPageData } from '../admin/event-data.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import { LockHeldError } from '../db/lock-file.ts';
import { createPgDb } from '../db/pg-db.ts';
import { createEmbeddedDb } from '../db/pglite-db.ts';
import { jobRuns, recentEvents, type EventFilter, type JobRun, type JobRunFilter, type StoredEvent } from '../db/queries.ts';
import { openReplayQueues } from '../replay/replay-queues.ts';
import { adminClient, NotFoundError } from './admin-client.ts';
import { CliError } from './cli-error.ts';

export interface EventReader {
  /** Where the rows come from, for the user. */
  readonly source: string;
  events(filter: EventFilter): Promise<StoredEvent[]>;
  runs(filter: JobRunFilter): Promise<JobRun[]>;
  /** One event as its page on /admin shows it, or undefined when no event has this key. */
  show(key: string): Promise<EventPageData | undefined>;
  close(): Promise<void>;
}

export type ReaderOptions = {
  /** --url or HOOKLINE_URL: ask that hookline over HTTP. */
  url: string | undefined;
  /** --token, else ADMIN_TOKEN. */
  token: string | undefined;
};

/**
 * Reads the database directly where it can. The embedded database belongs to one process: while a
 * hookline holds it, the CLI asks that process over HTTP (its /admin API, with ADMIN_TOKEN).
 * A URL (--url or HOOKLINE_URL) always means HTTP.
 */
export async function openEventReader(config: Config, options: ReaderOptions): Promise<EventReader> {
  if (options.url) return httpReader(options.url, options.token);
  if (config.database.kind === 'postgres') {
    const { url, schema } = config.database;
    const source = `PostgreSQL (DATABASE_URL${schema ? `, schema ${schema}` : ''})`;
    return dbReader(await createPgDb(url, { schema, max: 1 }), source, config);
  }
  const { dataDir } = config.database;
  if (!existsSync(join(dataDir, 'pglite'))) {
    throw new CliError(`no embedded database in ${dataDir} yet: start hookline (npm start) or set DATA_DIR, DATABASE_URL or --database-url`);
  }
  try {
    return dbReader(await createEmbeddedDb(dataDir), `the embedded database in ${dataDir}`, config);
  } catch (error) {
    if (!(error instanceof LockHeldError)) throw error;
    if (!options.token) {
      throw new CliError(
        `the embedded database in ${dataDir} is in use by a running hookline (pid ${error.holder?.pid ?? '?'}). ` +
          'Set ADMIN_TOKEN for both and the CLI asks the running process, or stop it, or use DATABASE_URL.',
      );
    }
    return httpReader(`http://127.0.0.1:${config.port}`, options.token);
  }
}

function dbReader(db: Db, source: string, config: Config): EventReader {
  const explain = (error: unknown): never => {
    if ((error as { code?: unknown }).code === '42P01') throw new CliError(`${source} has no hookline tables: has hookline run against it?`);
    throw error;
  };
  return {
    source,
    events: (filter) => recentEvents(db, filter).catch(explain),
    runs: (filter) => jobRuns(db, filter).catch(explain),
    async show(key) {
      // The deliveries and dead letters live in Redis: read as the event page reads them, each part
      // failing on its own (a Redis that does not answer leaves the row and the run).
      const queues = openReplayQueues(config.redis, config.queuePrefix, config.destinations.map((d) => d.id));
      try {
        return await readEventPage(db, queues, config.queuePrefix, key).catch(explain);
      } finally {
        // A Redis that does not answer would keep the process alive, reconnecting.
        await Promise.race([queues.close(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
        queues.connection.disconnect();
      }
    },
    close: () => db.close(),
  };
}

function httpReader(baseUrl: string, token: string | undefined): EventReader {
  const api = adminClient(baseUrl, token);
  return {
    source: `the hookline at ${baseUrl}`,
    async events(filter) {
      const query = { provider: filter.provider, status: filter.status, since: filter.since?.toISOString(), limit: filter.limit };
      return (await api.get<{ events: StoredEvent[] }>('events', query)).events;
    },
    async runs(filter) {
      return (await api.get<{ runs: JobRun[] }>('runs', { provider: filter.provider, status: filter.status, limit: filter.limit })).runs;
    },
    async show(key) {
      try {
        return (await api.get<{ event: EventPageData }>(`events/${encodeURIComponent(key)}`)).event;
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },
    close: async () => undefined,
  };
}
