import { describeJob, type DeadLetter, type ReplayQueues } from '../replay/dead-letters.ts';

/** What became of one replayed dead letter, as the page after the redirect shows it. */
export type JobOutcome = {
  queue: string;
  jobId: string;
  eventKey: string;
  /** BullMQ's state: `completed`, `failed` (again), `waiting`, `active`, `delayed`…, or `gone`. */
  state: string;
  error: string | undefined;
  attemptsMade: number;
};

/** Replayed jobs whose outcome the redirect names (and the POST waits for): a click, or a small "Replay all". */
export const WATCHED_JOBS = 20;
/** Long enough for a job that fails again at once (an event no normalizer takes), short for a click. */
const SETTLE_MS = 2_500;
const POLL_MS = 100;
const SETTLED = new Set(['completed', 'failed', 'gone']);

/** `queue/jobId` for the redirect's `watch` parameters; queue names hold no `/`. */
export function watchParams(letters: readonly DeadLetter[]): string[] {
  return letters.slice(0, WATCHED_JOBS).map((letter) => `${letter.queue}/${letter.jobId}`);
}

/**
 * Waits, briefly, until each replayed job has run: completed, or failed again. Whatever has not
 * settled by then is shown as still queued; the page reads the states again when it is loaded.
 */
export async function awaitOutcomes(queues: ReplayQueues, watch: readonly string[], settleMs = SETTLE_MS): Promise<void> {
  const deadline = Date.now() + settleMs;
  let pending = [...watch];
  while (pending.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const outcomes = await readOutcomes(queues, pending);
    pending = pending.filter((_, i) => !SETTLED.has(outcomes[i]!.state));
  }
}

/** The current state of each watched job; names that are not ours read as `gone`. */
export async function readOutcomes(queues: ReplayQueues, watch: readonly string[]): Promise<JobOutcome[]> {
  const all = [queues.ingest, ...queues.deliveries.values()];
  return Promise.all(
    watch.slice(0, WATCHED_JOBS).map(async (name): Promise<JobOutcome> => {
      const slash = name.indexOf('/');
      const queueName = slash > 0 ? name.slice(0, slash) : '';
      const jobId = slash > 0 ? name.slice(slash + 1) : '';
      const queue = all.find((candidate) => candidate.name === queueName);
      const job = queue && jobId ? await queue.getJob(jobId) : undefined;
      if (!job) return { queue: queueName, jobId, eventKey: '', state: 'gone', error: undefined, attemptsMade: 0 };
      const state = await job.getState();
      return {
        queue: queueName,
        jobId,
        eventKey: describeJob(queueName, job).eventKey,
        state,
        error: state === 'failed' ? job.failedReason || 'failed' : undefined,
        attemptsMade: job.attemptsMade,
      };
    }),
  );
}
