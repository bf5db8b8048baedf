import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { NormalizeError, SinkError } from '../shared/errors.ts';

/**
 * What a failed job attempt means, from the error alone (the errors carry their meaning, see
 * src/shared/errors.ts):
 * - `unnormalizable`: an authenticated payload no normalizer understands (NormalizeError): failed
 *   now, kept in the failed set with its raw body, replayable after a fix;
 * - `permanent`: a sink refused it for good (SinkError not retryable): a dead letter now;
 * - `rate_limited`: the remote asked to wait `retryAfterMs` (SinkError with Retry-After): waits
 *   without spending an attempt;
 * - `retry`: anything else (a retryable SinkError, an unexpected error): retried with backoff until
 *   the attempts run out.
 */
export type JobOutcome =
  | { kind: 'unnormalizable'; reason: string }
  | { kind: 'permanent'; reason: string; sink: string }
  | { kind: 'rate_limited'; reason: string; sink: string; retryAfterMs: number }
  | { kind: 'retry'; reason: string; error: Error };

/** The one mapping of errors thrown while processing a job to what they mean for it. */
export function jobOutcome(error: unknown): JobOutcome {
  if (error instanceof NormalizeError) return { kind: 'unnormalizable', reason: error.message };
  if (error instanceof SinkError) {
    if (error.retryAfterMs !== undefined) return { kind: 'rate_limited', reason: error.message, sink: error.sink, retryAfterMs: error.retryAfterMs };
    if (!error.retryable) return { kind: 'permanent', reason: error.message, sink: error.sink };
    return { kind: 'retry', reason: error.message, error };
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  return { kind: 'retry', reason: failure.message, error: failure };
}

export type OutcomeContext = {
  job: Job;
  token: string | undefined;
  /** The job's queue when it has a limiter: a rate limit then pauses all of it, else delays this job. */
  limitedQueue?: Queue;
};

/**
 * The one place that turns an outcome into BullMQ's retry control; the processor throws what this
 * returns:
 * - unnormalizable, permanent → UnrecoverableError: failed now, no further attempts;
 * - rate_limited → the queue pauses for that long (Worker.RateLimitError) where it has a limiter, else
 *   this job is moved to the delayed set (DelayedError); neither spends an attempt;
 * - retry → the error itself: BullMQ retries it with the queue's backoff.
 */
export async function applyOutcome(outcome: JobOutcome, context: OutcomeContext): Promise<Error> {
  switch (outcome.kind) {
    case 'unnormalizable':
    case 'permanent':
      return new UnrecoverableError(outcome.reason);
    case 'rate_limited':
      if (context.limitedQueue) {
        await context.limitedQueue.rateLimit(outcome.retryAfterMs);
        return Worker.RateLimitError();
      }
      await context.job.moveToDelayed(Date.now() + outcome.retryAfterMs, context.token);
      return new DelayedError(outcome.reason);
    case 'retry':
      return outcome.error;
  }
}

/**
 * In a worker's `failed` listener: whether the job is now in the failed set for good (a dead letter)
 * rather than waiting for its next attempt. BullMQ hands the listener the error the processor threw.
 */
export function isFinalFailure(job: Job, error: Error, maxAttempts: number): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade >= maxAttempts;
}
