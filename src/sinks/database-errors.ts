import { truncate } from '../shared/text.ts';
import { SinkError } from '../shared/errors.ts';

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * SQLSTATE classes that mean "this event can never be written as it is": cardinality (21), data
 * (22), integrity (23), syntax or undefined object (42), unsupported feature (0A). Retrying cannot
 * help; the job should be dead-lettered and looked at.
 */
const PERMANENT_CLASSES = new Set(['0A', '21', '22', '23', '42']);

/**
 * Everything else is about the database rather than the event, and worth retrying: connection
 * exceptions (08), too many connections / out of resources (53), admin or crash shutdown and
 * statement timeout (57P01, 57P02, 57P03, 57014), serialization failure and deadlock (40001,
 * 40P01), lock timeout (55P03), I/O (58), authentication (28: fixed by an operator, not by the event),
 * and errors without a SQLSTATE: ECONNREFUSED, ECONNRESET, ETIMEDOUT, pg's "Connection terminated",
 * pool connection timeouts, a closed pool during shutdown.
 */
export function classifyDatabaseError(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  const { code, message, detail } = describe(error);
  const sqlstate = code !== undefined && SQLSTATE.test(code) ? code : undefined;
  const retryable = sqlstate === undefined || !PERMANENT_CLASSES.has(sqlstate.slice(0, 2));
  const text = [`database write failed${code ? ` (${code})` : ''}: ${message}`, detail].filter(Boolean).join(' — ');
  // No `cause`: driver errors can carry the statement's parameters, i.e. whole event bodies.
  return new SinkError('database', truncate(text, 1_000), { retryable });
}

function describe(error: unknown): { code: string | undefined; message: string; detail: string | undefined } {
  if (typeof error !== 'object' || error === null) return { code: undefined, message: String(error), detail: undefined };
  const record = error as { code?: unknown; message?: unknown; detail?: unknown };
  return {
    code: typeof record.code === 'string' ? record.code : undefined,
    message: typeof record.message === 'string' && record.message ? record.message : String(error),
    detail: typeof record.detail === 'string' ? record.detail : undefined,
  };
}

