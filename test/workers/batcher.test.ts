import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/workers/batcher.ts';

describe('createBatcher', () => {
  it('runs calls made in the same tick as one batch, in order, bounded by maxBatch', async () => {
    const batches: number[][] = [];
    const add = createBatcher<number>(async (items) => void batches.push(items), { maxBatch: 3 });
    await Promise.all([1, 2, 3, 4, 5].map(add));
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    await add(6);
    expect(batches).toEqual([[1, 2, 3], [4, 5], [6]]);
  });

  it('fails every caller of a failed batch, and only them', async () => {
    const add = createBatcher<number>(async (items) => {
      if (items.includes(2)) throw new Error('batch with 2 failed');
    }, { maxBatch: 2 });
    const results = await Promise.allSettled([1, 2, 3].map(add));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });

  it('splits a batch that failed for one item, so only that item fails', async () => {
    const runs: number[][] = [];
    const add = createBatcher<number>(
      async (items) => {
        runs.push(items);
        if (items.includes(2)) throw new Error('2 is refused');
      },
      { maxBatch: 10, splitOnError: () => true },
    );
    const results = await Promise.allSettled([1, 2, 3].map(add));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(runs).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('does not split when the error is about the destination', async () => {
    let calls = 0;
    const add = createBatcher<number>(
      async () => {
        calls += 1;
        throw new Error('down');
      },
      { maxBatch: 10, splitOnError: () => false },
    );
    const results = await Promise.allSettled([1, 2, 3].map(add));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });

  it('lets items wait for the batch in flight instead of starting another (group commit)', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const add = createBatcher<number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3, 4].map(add);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });
});
