import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NoRedisError } from '../../src/shared/errors.ts';
import { defaultOrLocalRedis, freePort, isReachable, redisServerBinary, startRedisServer } from '../../src/shared/local-redis.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A PATH with node and sh but no redis-server: a machine where Redis is not installed. */
function pathWithoutRedis(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-no-redis-path-'));
  dirs.push(dir);
  symlinkSync(process.execPath, join(dir, 'node'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs a script in a child node process that starts a redis-server through the helper and prints its pid. */
function ownerProcess(script: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /redis pid (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`owner exited (${code}) before starting redis-server`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, pid, exited };
}

const START = `import { startRedisServer } from './src/shared/local-redis.ts';
const server = await startRedisServer();
console.log('redis pid ' + server.pid);`;

describe.skipIf(!redisServerBinary())('startRedisServer', () => {
  it('starts one that answers, and stop() ends it', async () => {
    const server = await startRedisServer();
    expect(await isReachable('127.0.0.1', server.port)).toBe(true);
    await server.stop();
    expect(server.running).toBe(false);
    expect(alive(server.pid ?? 0)).toBe(false);
  });

  it('does not outlive an owner that exits without stopping it', async () => {
    const owner = ownerProcess(`${START}\nsetTimeout(() => process.exit(0), 100);`);
    const pid = await owner.pid;
    await owner.exited;
    await until(() => !alive(pid), 'redis-server gone after its owner exited');
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)('does not outlive an owner ended by %s', async (signal) => {
    const owner = ownerProcess(`${START}\nsetInterval(() => undefined, 1000);`);
    const pid = await owner.pid;
    expect(alive(pid)).toBe(true);
    owner.child.kill(signal);
    await owner.exited;
    await until(() => !alive(pid), `redis-server gone after its owner got ${signal}`);
  });

  it('says why it did not start: a port already taken', async () => {
    const first = await startRedisServer();
    try {
      await expect(startRedisServer({ port: first.port })).rejects.toThrow(/did not start on port \d+: .*(in use|bind)/i);
    } finally {
      await first.stop();
    }
  });
});

describe('without redis-server installed', () => {
  it('startRedisServer says so and what to do', async () => {
    const attempt = startRedisServer({ path: pathWithoutRedis() });
    await expect(attempt).rejects.toBeInstanceOf(NoRedisError);
    await expect(attempt).rejects.toThrow(/redis-server is not installed.*apt install redis-server.*REDIS_URL/);
  });

  it('the all-in-one lookup says so when no Redis answers either', async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    await expect(defaultOrLocalRedis(nobody, '/nonexistent', { path: pathWithoutRedis() })).rejects.toThrow(
      new NoRedisError(`no Redis answers at ${nobody} and redis-server is not installed: install Redis (e.g. apt install redis-server, brew install redis) or set REDIS_URL`),
    );
  });
});
