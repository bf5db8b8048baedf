import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Logger } from '../../src/shared/logger.ts';
import { watchEventLoop } from '../../src/workers/event-loop-watch.ts';

function fakeLogger() {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) } as unknown as Logger;
  return { logger, warnings };
}

describe('watchEventLoop', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => vi.useRealTimers());

  /** One tick of the watch's timer, `lateMs` after it was due (a synchronous stretch before it). */
  function tick(lateMs = 0) {
    clock += 250 + lateMs;
    vi.advanceTimersByTime(250);
  }

  it('stays quiet while ticks come in time, and warns once a stretch passes a quarter of the lock', () => {
    const { logger, warnings } = fakeLogger();
    const watch = watchEventLoop({ lockDurationMs: 8_000, logger, now: () => clock });
    for (let i = 0; i < 40; i++) tick(i % 2 === 0 ? 1_900 : 5);
    expect(warnings).toEqual([]);

    tick(2_500);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ blockedMs: 2_500, stretches: 1, lockDurationMs: 8_000, renewedEveryMs: 4_000 });
    watch.stop();
  });

  it('warns at most once per quiet period, with the longest stretch and the count since the last warning', () => {
    const { logger, warnings } = fakeLogger();
    const watch = watchEventLoop({ lockDurationMs: 8_000, logger, now: () => clock, quietMs: 10_000 });
    tick(3_000);
    tick(2_200);
    tick(3_500);
    expect(warnings).toHaveLength(1);
    for (let i = 0; i < 20; i++) tick();
    tick(2_100);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]?.fields).toMatchObject({ blockedMs: 3_500, stretches: 3 });
    watch.stop();
  });
});

describe('worker lock defaults', () => {
  it('a killed worker\'s jobs are back in their queues within 15 s at worst (lock + two stall checks), with a lock renewed every 3 s', () => {
    const config = loadConfig({});
    // Worst case: the lock renewed just before the kill; a stall check comes just before it lapses
    // (it re-marks the job), and the next one skips itself — BullMQ guards each check with a key
    // that lives exactly one interval, and its timer can fire a millisecond before that key expires
    // (seen in test/faults/worker-kill.test.ts: 16.0 s with 8 s + 4 s) — so the job moves at the
    // check after: lock + two intervals. It never skips twice in a row.
    expect(config.workerLockDurationMs + 2 * config.workerStalledIntervalMs).toBeLessThanOrEqual(15_000);
    // BullMQ renews at half the lock: that half is the margin for a synchronous stretch (0.85 s at
    // most measured on the all-in-one process, test/faults/event-loop-load.test.ts).
    expect(config.workerLockDurationMs / 2).toBeGreaterThanOrEqual(3_000);
    expect(config.workerStalledIntervalMs).toBeLessThanOrEqual(config.workerLockDurationMs);
  });
});
