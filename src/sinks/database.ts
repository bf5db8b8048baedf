import type { Db } from '../db/db.ts';
import { writeEvents } from '../db/write-events.ts';
import { abortable } from './abortable.ts';
import { classifyDatabaseError } from './database-errors.ts';
import type { Delivery, Sink } from './sink.ts';

export type DatabaseSink = Sink & {
  deliverBatch(deliveries: readonly Delivery[], signal: AbortSignal): Promise<void>;
};

/**
 * Every event becomes a webhook_events row (idempotent by event key) and advances its job_runs row.
 * The Db is owned by whoever opened it: close() leaves it open.
 */
export function createDatabaseSink(db: Db): DatabaseSink {
  async function deliverBatch(deliveries: readonly Delivery[], signal: AbortSignal): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      await abortable('database', writeEvents(db, deliveries), signal);
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  }
  return {
    id: 'database',
    accepts: () => true,
    deliver: (delivery, signal) => deliverBatch([delivery], signal),
    deliverBatch,
    close: async () => undefined,
  };
}
