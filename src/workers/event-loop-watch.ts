import type { Logger } from '../shared/logger.ts';

/**
 * BullMQ renews a running job's lock from a timer on this process' event loop, every half of
 * WORKER_LOCK_DURATION_MS at most. A synchronous stretch longer than that half delays the renewal
 * past the lock's end: another worker's stall check may then take the job and run it a second time
 * while this one still runs it. Such a stretch is a bug to find, so it is logged (the event loop's
 * delay figures are also in /metrics, `hookline_nodejs_eventloop_lag_*`).
 *
 * Warns when one tick of a short timer came later than a quarter of the lock: half the margin is
 * gone. At most one warning per `quietMs`, with the longest stretch and the count since the last.
 */
export function watchEventLoop(options: {
  lockDurationMs: number;
  logger: Logger;
  tickMs?: number;
  quietMs?: number;
  now?: () => number;
}): { stop(): void } {
  const tickMs = options.tickMs ?? 250;
  const quietMs = options.quietMs ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const warnAfterMs = options.lockDurationMs / 4;
  let expected = now() + tickMs;
  let lastWarning = -Infinity;
  let pending = { count: 0, longestMs: 0 };
  const timer = setInterval(() => {
    const at = now();
    const lateMs = at - expected;
    expected = at + tickMs;
    if (lateMs <= warnAfterMs) return;
    pending = { count: pending.count + 1, longestMs: Math.max(pending.longestMs, lateMs) };
    if (at - lastWarning < quietMs) return;
    lastWarning = at;
    options.logger.warn(
      {
        blockedMs: Math.round(pending.longestMs),
        stretches: pending.count,
        lockDurationMs: options.lockDurationMs,
        renewedEveryMs: options.lockDurationMs / 2,
      },
      'event loop blocked for a long stretch: job locks are renewed on it, and a stretch over half WORKER_LOCK_DURATION_MS lets another worker run the same jobs again',
    );
    pending = { count: 0, longestMs: 0 };
  }, tickMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
