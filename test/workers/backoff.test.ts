import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cappedExponentialBackoff } from '../../src/workers/backoff.ts';

describe('cappedExponentialBackoff', () => {
  it('doubles from one second, with half of each delay random', () => {
    expect(cappedExponentialBackoff(1, () => 0)).toBe(500);
    expect(cappedExponentialBackoff(1, () => 1)).toBe(1000);
    expect(cappedExponentialBackoff(4, () => 0)).toBe(4000);
    expect(cappedExponentialBackoff(4, () => 1)).toBe(8000);
  });

  it('never exceeds ten minutes and never drops below half the exponential step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempts, r) => {
        const delay = cappedExponentialBackoff(attempts, () => r);
        const step = Math.min(600_000, 1000 * 2 ** (attempts - 1));
        return delay <= 600_000 && delay >= step / 2 - 1;
      }),
    );
  });
});
