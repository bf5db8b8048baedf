import type { Job } from 'bullmq';
import { findDeadLetters, describeJob, type DeadLetter, type DeadLetterFilter, type ReplayQueues } from './dead-letters.ts';

export type ReplayOutcome = {
  replayed: DeadLetter[];
  /** Dead letters that were found but could not be replayed (e.g. another operator replayed them first). */
  skipped: Array<{ letter: DeadLetter; reason: string }>;
  dryRun: boolean;
};

/**
 * Moves matching dead letters back to their queue with a fresh set of attempts. Replaying is safe
 * for an event already delivered: the database writes by event key, and Slack and email check their
 * delivery record before they post.
 */
export async function replayDeadLetters(
  queues: ReplayQueues,
  filter: DeadLetterFilter,
  options: { dryRun?: boolean } = {},
): Promise<ReplayOutcome> {
  const found = await findDeadLetters(queues, filter);
  const outcome: ReplayOutcome = { replayed: [], skipped: [], dryRun: options.dryRun === true };
  for (const { job, ...letter } of found) {
    if (outcome.dryRun) {
      outcome.replayed.push(letter);
      continue;
    }
    const reason = await retry(job);
    if (reason) outcome.skipped.push({ letter, reason });
    else outcome.replayed.push(letter);
  }
  return outcome;
}

/** Replays one dead letter named by its queue and job id (the status page's button). */
export async function replayJob(queues: ReplayQueues, queueName: string, jobId: string): Promise<ReplayOutcome> {
  const queue = [queues.ingest, ...queues.deliveries.values()].find((candidate) => candidate.name === queueName);
  const job = queue ? await queue.getJob(jobId) : undefined;
  if (!queue || !job) {
    return { replayed: [], skipped: [{ letter: missing(queueName, jobId), reason: 'no such job (removed or never existed)' }], dryRun: false };
  }
  const letter = describeJob(queue.name, job);
  const reason = await retry(job);
  return reason ? { replayed: [], skipped: [{ letter, reason }], dryRun: false } : { replayed: [letter], skipped: [], dryRun: false };
}

async function retry(job: Job): Promise<string | undefined> {
  try {
    // The job's own state is checked inside BullMQ's script: a job no longer failed is refused there.
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function missing(queue: string, jobId: string): DeadLetter {
  return {
    kind: queue === 'ingest' ? 'ingest' : 'delivery',
    queue,
    sink: undefined,
    jobId,
    eventKey: '',
    provider: undefined,
    status: undefined,
    summary: undefined,
    error: '',
    attemptsMade: 0,
    failedAt: new Date(0).toISOString(),
    receivedAt: undefined,
    rawBody: undefined,
  };
}
