const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 10 * 60_000;

/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so retries
 * from many jobs that failed together (a sink outage) spread out instead of arriving in waves.
 */
export function cappedExponentialBackoff(attemptsMade: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
