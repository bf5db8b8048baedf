import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { defaultOrLocalRedis, freePort, redisServerBinary } from '../../src/shared/local-redis.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the all-in-one process without a Redis', () => {
  it('uses the default Redis when it answers', async () => {
    expect(await defaultOrLocalRedis(inject('redisUrl'), '/nonexistent')).toBeUndefined();
  });

  it.skipIf(!redisServerBinary())('starts a persistent redis-server of its own, whose data survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookline-local-redis-'));
    dirs.push(dir);
    const nobody = `redis://127.0.0.1:${await freePort()}`;

    const first = await defaultOrLocalRedis(nobody, dir);
    expect(first?.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const client = new Redis(first?.url ?? '');
    await client.set('queued', 'event');
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    client.disconnect();
    await first?.stop();
    expect(readdirSync(dir).some((name) => name.startsWith('appendonly'))).toBe(true);

    const second = await defaultOrLocalRedis(nobody, dir);
    const again = new Redis(second?.url ?? '');
    expect(await again.get('queued')).toBe('event');
    again.disconnect();
    await second?.stop();
  });
});
