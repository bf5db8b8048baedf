import type { Db } from '../db/db.ts';
import { jobRuns, recentEvents, type JobRun, type StoredEvent } from '../db/queries.ts';
import { findDeadLetters, type DeadLetter } from '../replay/dead-letters.ts';
import type { OpenReplayQueues } from '../replay/replay-queues.ts';
import type { ProviderId } from '../providers/registry.ts';
import { withDeadline } from '../shared/deadline.ts';

export type QueueCounts = { queue: string; waiting: number; active: number; delayed: number; failed: number; completed: number };

export type StatusData = {
  provider: ProviderId | undefined;
  events: StoredEvent[];
  runs: JobRun[];
  deadLetters: DeadLetter[];
  queues: QueueCounts[];
  /** What could not be read (Redis or the database down): the page shows the rest. */
  problems: string[];
};

const LIMITS = { events: 50, runs: 500, deadLetters: 200 } as const;
const READ_TIMEOUT_MS = 3_000;

/** Everything the status page shows, read in parallel; each part fails on its own. */
export async function readStatus(db: Db, queues: OpenReplayQueues, provider: ProviderId | undefined): Promise<StatusData> {
  const filter = provider ? { provider } : {};
  const [events, runs, deadLetters, counts] = await Promise.allSettled([
    boundedRead(recentEvents(db, { ...filter, limit: LIMITS.events })),
    boundedRead(jobRuns(db, { ...filter, limit: LIMITS.runs })),
    boundedRead(findDeadLetters(queues, { ...filter, limit: LIMITS.deadLetters })),
    boundedRead(Promise.all(queues.all.map(async (queue) => countsOf(queue.name, await queue.getJobCounts())))),
  ]);
  const problems: string[] = [];
  const value = <T>(result: PromiseSettledResult<T>, fallback: T, what: string): T => {
    if (result.status === 'fulfilled') return result.value;
    problems.push(`${what}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
    return fallback;
  };
  return {
    provider,
    events: value(events, [], 'recent events (database)'),
    runs: value(runs, [], 'job runs (database)'),
    deadLetters: value(deadLetters, [], 'dead letters (Redis)').map(({ job: _job, ...letter }) => letter),
    queues: value(counts, [], 'queue counts (Redis)'),
    problems,
  };
}

function countsOf(queue: string, counts: Record<string, number>): QueueCounts {
  return {
    queue,
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    completed: counts.completed ?? 0,
  };
}

function boundedRead<T>(promise: Promise<T>): Promise<T> {
  return withDeadline(promise, READ_TIMEOUT_MS, 'status page read');
}
