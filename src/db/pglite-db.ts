import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.ts';
import { acquireLockFile, type HeldLock } from './lock-file.ts';

export const IN_MEMORY = 'memory://';

const ADVICE = 'To run several hookline processes (e.g. ingress and workers apart, or more than one worker), set DATABASE_URL to a PostgreSQL database.';

/**
 * Embedded PostgreSQL (PGlite, WASM) for a laptop: data in `<dataDir>/pglite`, or in memory for
 * 'memory://'. PGlite is single-process and corrupts its files when opened twice, so a lock file
 * `<dataDir>/pglite.lock` refuses a second opener.
 */
export async function createEmbeddedDb(dataDir: string): Promise<Db> {
  const inMemory = dataDir.startsWith(IN_MEMORY);
  let lock: HeldLock | undefined;
  if (!inMemory) {
    await mkdir(dataDir, { recursive: true });
    lock = await acquireLockFile(join(dataDir, 'pglite.lock'), { advice: ADVICE });
  }
  let pglite: PGlite;
  try {
    // pg returns bigint as a string; doing the same keeps callers identical on both databases.
    pglite = await PGlite.create(inMemory ? IN_MEMORY : join(dataDir, 'pglite'), {
      parsers: { [types.INT8]: (value: string) => value },
    });
  } catch (error) {
    await lock?.release();
    throw error;
  }

  // One session: a query sent while a transaction is open would run inside it. Everything goes
  // through this queue, one at a time.
  let tail: Promise<unknown> = Promise.resolve();
  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  const queryable = (session: PGlite | Transaction): Queryable => ({
    async query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const result = await session.query<Row>(text, params === undefined ? undefined : [...params]);
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
    },
  });
  const direct = queryable(pglite);

  let closed: Promise<void> | undefined;
  return {
    kind: 'embedded',
    query: (text, params) => serialized(() => direct.query(text, params)),
    transaction: (work) => serialized(() => pglite.transaction((tx) => work(queryable(tx)))),
    close() {
      closed ??= serialized(async () => {
        try {
          await pglite.close();
        } finally {
          await lock?.release();
        }
      });
      return closed;
    },
  };
}
