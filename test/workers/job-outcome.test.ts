import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { NormalizeError, SinkError } from '../../src/shared/errors.ts';
import { applyOutcome, isFinalFailure, jobOutcome, type JobOutcome } from '../../src/workers/job-outcome.ts';

/** The one mapping of job errors: what each error type means, and what BullMQ is told. */
describe('jobOutcome', () => {
  const retryable = new SinkError('slack', 'HTTP 503', { retryable: true });
  const plain = new Error('boom');
  it.each<[string, unknown, JobOutcome]>([
    ['a NormalizeError', new NormalizeError('persona: unknown event name'), { kind: 'unnormalizable', reason: 'persona: unknown event name' }],
    ['a SinkError not retryable', new SinkError('email', '550 refused', { retryable: false }), { kind: 'permanent', reason: '550 refused', sink: 'email' }],
    [
      'a SinkError with Retry-After',
      new SinkError('slack', 'HTTP 429', { retryable: true, retryAfterMs: 30_000 }),
      { kind: 'rate_limited', reason: 'HTTP 429', sink: 'slack', retryAfterMs: 30_000 },
    ],
    ['a retryable SinkError', retryable, { kind: 'retry', reason: 'HTTP 503', error: retryable }],
    ['any other Error', plain, { kind: 'retry', reason: 'boom', error: plain }],
  ])('%s', (_name, error, expected) => {
    expect(jobOutcome(error)).toEqual(expected);
  });

  it('a thrown non-Error is retried as an Error', () => {
    const outcome = jobOutcome('a string');
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'a string' });
    expect(outcome.kind === 'retry' && outcome.error).toBeInstanceOf(Error);
  });

  it('an error merely named like ours means nothing special', () => {
    const impostor = Object.assign(new Error('x'), { name: 'NormalizeError' });
    expect(jobOutcome(impostor).kind).toBe('retry');
  });
});

describe('applyOutcome', () => {
  const fakeJob = () => ({ moveToDelayed: vi.fn(() => Promise.resolve()) });
  const fakeQueue = () => ({ rateLimit: vi.fn(() => Promise.resolve()) });

  it('unnormalizable and permanent: UnrecoverableError, no further attempt', async () => {
    for (const outcome of [jobOutcome(new NormalizeError('bad')), jobOutcome(new SinkError('email', 'refused', { retryable: false }))]) {
      const job = fakeJob();
      const thrown = await applyOutcome(outcome, { job: job as unknown as Job, token: 't' });
      expect(thrown).toBeInstanceOf(UnrecoverableError);
      expect(thrown.message).toBe(outcome.reason);
      expect(job.moveToDelayed).not.toHaveBeenCalled();
    }
  });

  it('rate_limited without a limiter: this job is delayed, no attempt spent', async () => {
    const job = fakeJob();
    const before = Date.now();
    const thrown = await applyOutcome({ kind: 'rate_limited', reason: '429', sink: 'slack', retryAfterMs: 5_000 }, { job: job as unknown as Job, token: 'tok' });
    expect(thrown).toBeInstanceOf(DelayedError);
    const [until, token] = job.moveToDelayed.mock.calls[0] as unknown as [number, string];
    expect(until).toBeGreaterThanOrEqual(before + 5_000);
    expect(token).toBe('tok');
  });

  it('rate_limited with a limiter: the queue pauses', async () => {
    const job = fakeJob();
    const queue = fakeQueue();
    const thrown = await applyOutcome(
      { kind: 'rate_limited', reason: '429', sink: 'slack', retryAfterMs: 2_000 },
      { job: job as unknown as Job, token: 'tok', limitedQueue: queue as unknown as Queue },
    );
    expect(queue.rateLimit).toHaveBeenCalledWith(2_000);
    expect(job.moveToDelayed).not.toHaveBeenCalled();
    expect(thrown.message).toBe(Worker.RateLimitError().message);
  });

  it('retry: the error itself, for BullMQ to retry with backoff', async () => {
    const error = new Error('connection reset');
    expect(await applyOutcome(jobOutcome(error), { job: fakeJob() as unknown as Job, token: undefined })).toBe(error);
  });
});

describe('isFinalFailure', () => {
  const job = (attemptsMade: number) => ({ attemptsMade }) as unknown as Job;
  it('is final for an UnrecoverableError or once attempts run out', () => {
    expect(isFinalFailure(job(1), new UnrecoverableError('x'), 8)).toBe(true);
    expect(isFinalFailure(job(8), new Error('x'), 8)).toBe(true);
    expect(isFinalFailure(job(3), new Error('x'), 8)).toBe(false);
    expect(isFinalFailure(job(3), Object.assign(new Error('x'), { name: 'UnrecoverableError' }), 8)).toBe(false);
  });
});
