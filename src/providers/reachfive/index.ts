import { staticHeader } from '../auth/static-header.ts';
import { idAt } from '../event-id.ts';
import type { ProviderDefinition } from '../provider.ts';
import { normalize } from './normalize.ts';
import sample from './sample.json' with { type: 'json' };

/** ReachFive import / export job reports (End Job Notification). */
export const reachfive: ProviderDefinition<'reachfive'> = {
  id: 'reachfive',
  name: 'ReachFive',
  credential: {
    variable: 'REACHFIVE_WEBHOOK_AUTHORIZATION',
    what: 'one or more full Authorization values, comma-separated',
    where: 'the whole Authorization value entered in the import/export definition, e.g. "Bearer <random>"',
    example: (random) => `Bearer ${random}`,
  },
  auth: staticHeader('authorization'),
  keptHeaders: [],
  // Documented as an integer, sent as an opaque string: either way it becomes a string.
  eventId: (payload) => idAt(payload, ['id']),
  normalize,
  stuckAfter: {
    defaultSeconds: 0,
    // A job's reports share one event key (its id), so after a RUNNING report the final SUCCESS or
    // FAILURE is answered as a duplicate and can never end the run.
    why: "off: a job's reports share one event key (its id): after a `RUNNING` report the final one is a duplicate and could never end the run, so a stuck report would never resolve; set `REACHFIVE_STUCK_AFTER_SECONDS` (or `STUCK_AFTER_SECONDS`) to opt in",
  },
  sample: { payload: sample, idPath: ['id'] },
  docs: {
    summary: 'ReachFive import / export End Job Notification',
    authentication: '`Authorization` equal to a configured value (`Basic …` / `Bearer …`), checked before the body is read',
    eventKey: '`reachfive:<id>`',
    statuses: '`SUCCESS` with `total_failed` 0 / > 0, `FAILURE`, `RUNNING` → succeeded / partial / failed / running',
  },
};
