import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/workers/batcher.ts';

describe('createBatcher', () => {
  it('runs calls made in the same tick as one batch, in order, bounded by maxBatch', async () => {
    const batches: number[][] = [];
    const add = createBatcher<number>(async (items) => void batches.push(items), 3);
    await Promise.all([1, 2, 3, 4, 5].map(add));
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    await add(6);
    expect(batches).toEqual([[1, 2, 3], [4, 5], [6]]);
  });

  it('fails every caller of a failed batch, and only them', async () => {
    const add = createBatcher<number>(async (items) => {
      if (items.includes(2)) throw new Error('batch with 2 failed');
    }, 2);
    const results = await Promise.allSettled([1, 2, 3].map(add));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });
});
