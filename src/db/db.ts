export type QueryResult<Row> = { rows: Row[]; rowCount: number };

export type TransactionOptions = {
  /** Replaces the default per-statement and lock-wait bounds (about 10 s), e.g. for migrations. */
  timeoutMs?: number;
};

/** Something SQL can be sent to: the database itself, or one open transaction. */
export interface Queryable {
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>>;
}

/**
 * The little the service needs from a SQL database; PostgreSQL (pg) and embedded PGlite both provide it.
 * Both return the same JS values: timestamptz as Date, jsonb parsed, bigint (count(*)) as a string.
 */
export interface Db extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /**
   * Runs `work` on one connection inside BEGIN … COMMIT; rolls back when it throws. `work` must
   * send its SQL through `tx` only: on the embedded database, `db.query` waits for the transaction.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}
