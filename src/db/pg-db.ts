import pg from 'pg';
import type { Logger } from '../shared/logger.ts';
import type { Db, Queryable, QueryResult, TransactionOptions } from './db.ts';

export type PgDbOptions = {
  /** Every connection works in this schema (search_path); it is created when missing. */
  schema?: string | undefined;
  /** Pool size: should be at least the database sink's concurrency in this process. */
  max?: number | undefined;
  logger?: Logger | undefined;
};

const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Bounded waits everywhere: an unreachable or stuck server must turn into an error a job can retry,
 * never into a job that hangs until its lock expires.
 */
const TIMEOUTS = {
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
  statement_timeout: 10_000,
  lock_timeout: 5_000,
  idle_in_transaction_session_timeout: 30_000,
  // Client-side: also fires when the server stops answering altogether (no statement_timeout then).
  query_timeout: 15_000,
} as const;

export async function createPgDb(url: string, options: PgDbOptions = {}): Promise<Db> {
  const { schema, logger } = options;
  if (schema !== undefined && !SQL_IDENTIFIER.test(schema)) {
    throw new Error(`invalid database schema name "${schema}": expected a lower-case SQL identifier`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    ...TIMEOUTS,
    keepAlive: true,
    application_name: 'hookline',
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection (server restart, network) is emitted here; unhandled it
  // would crash the process. The pool drops that client and connects a new one on demand.
  pool.on('error', (error: Error & { code?: string }) => {
    logger?.warn({ err: { message: error.message, code: error.code } }, 'idle PostgreSQL connection lost');
  });

  const queryable = (client: pg.Pool | pg.PoolClient, timeoutMs?: number): Queryable => ({
    async query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const config: pg.QueryConfig & { query_timeout?: number } = { text, values: params === undefined ? undefined : [...params] };
      if (timeoutMs !== undefined) config.query_timeout = timeoutMs + 5_000;
      const result = await client.query<Row>(config);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
  });

  let ended: Promise<void> | undefined;
  const db: Db = {
    kind: 'postgres',
    query: queryable(pool).query,
    async transaction<T>(work: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client whose connection drops emits 'error' on itself, not on the pool: with
      // no listener that would crash the process. The query in flight fails too, and the client is
      // discarded on release instead of going back to the pool.
      const onLost = (error: Error & { code?: string }) => {
        broken = error;
        logger?.warn({ err: { message: error.message, code: error.code } }, 'PostgreSQL connection lost during a transaction');
      };
      client.on('error', onLost);
      try {
        await client.query('begin');
        const timeoutMs = options.timeoutMs === undefined ? undefined : Math.max(1, Math.round(options.timeoutMs));
        if (timeoutMs !== undefined) {
          await client.query(`set local statement_timeout = ${timeoutMs}`);
          await client.query(`set local lock_timeout = ${timeoutMs}`);
        }
        const result = await work(queryable(client, timeoutMs));
        await client.query('commit');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch (rollbackError) {
          // The connection is in an unknown state: the pool must discard it rather than reuse it.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        client.off('error', onLost);
        client.release(broken);
      }
    },
    close() {
      ended ??= pool.end();
      return ended;
    },
  };

  if (schema !== undefined) {
    try {
      await createSchema(db, schema);
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

async function createSchema(db: Db, schema: string): Promise<void> {
  try {
    await db.query(`create schema if not exists "${schema}"`);
  } catch (error) {
    // Two processes starting at once can both pass the IF NOT EXISTS check; the loser sees these.
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}
