import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { NormalizeError, SinkError } from '../shared/errors.ts';

/**
 * The one place that turns our errors into BullMQ's retry control:
 * - permanent (NormalizeError, SinkError not retryable) → UnrecoverableError: failed now, kept as a dead letter;
 * - rate limited (SinkError with retryAfterMs) → the queue pauses for that long and the job waits
 *   without spending an attempt; queues without a limiter delay just this job;
 * - anything else → rethrown, retried with backoff until attempts run out.
 */
export async function toBullmqError(
  error: unknown,
  context: { job: Job; token: string | undefined; queue: Queue; rateLimited: boolean },
): Promise<Error> {
  if (error instanceof NormalizeError) return new UnrecoverableError(error.message);
  if (error instanceof SinkError) {
    if (error.retryAfterMs !== undefined) {
      if (context.rateLimited) {
        await context.queue.rateLimit(error.retryAfterMs);
        return Worker.RateLimitError();
      }
      await context.job.moveToDelayed(Date.now() + error.retryAfterMs, context.token);
      return new DelayedError(error.message);
    }
    if (!error.retryable) return new UnrecoverableError(error.message);
    return error;
  }
  return error instanceof Error ? error : new Error(String(error));
}
