import type { AlertNotes } from '../alerts/alert-item.ts';
import type { Db } from '../db/db.ts';
import { writeEventsWithIncidents } from '../db/incidents.ts';
import { abortable } from './abortable.ts';
import { classifyDatabaseError } from './database-errors.ts';
import type { Delivery } from './sink.ts';

/**
 * The record of every event, and the state the alerts depend on: each event becomes a
 * webhook_events row (idempotent by event key), advances its job_runs row and its series'
 * incidents, all in one transaction. Returns what the incidents say of each event, for the alerts.
 * The Db is owned by whoever opened it: close() leaves it open.
 */
export type DatabaseSink = {
  readonly id: 'database';
  write(deliveries: readonly Delivery[], signal: AbortSignal): Promise<ReadonlyMap<string, AlertNotes>>;
};

export function createDatabaseSink(db: Db): DatabaseSink {
  return {
    id: 'database',
    async write(deliveries, signal) {
      if (deliveries.length === 0) return new Map();
      // Not even started: a write left running after its caller gave up would land later, unasked.
      if (signal.aborted) throw classifyDatabaseError(new Error('database write aborted before it started'));
      try {
        return await abortable('database', writeEventsWithIncidents(db, deliveries), signal);
      } catch (error) {
        throw classifyDatabaseError(error);
      }
    },
  };
}
