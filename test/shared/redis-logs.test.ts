import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/shared/logger.ts';
import { findExecutable, redisServerBinary } from '../../src/shared/local-redis.ts';
import { isRedisOutageError, RedisOutageReporter } from '../../src/shared/redis.ts';
import { LogCapture } from '../support/harness.ts';
import { KillableRedis } from '../support/killable-redis.ts';
import { freeRestartablePort } from '../support/services.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Entry = { level: number; msg: string; err?: { stack?: string } } & Record<string, unknown>;
const entries = (lines: readonly string[]): Entry[] =>
  lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Entry];
    } catch {
      return [];
    }
  });

function refused(port: number): Error & { code: string } {
  return Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED', address: '127.0.0.1', port });
}

describe('RedisOutageReporter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('warns once when Redis goes away, then once per window with a count, and once when it is back', () => {
    vi.useFakeTimers();
    const logs = new LogCapture();
    const reporter = new RedisOutageReporter({ logger: createLogger('info', logs), windowMs: 10_000, now: () => Date.now() });
    for (let i = 0; i < 38; i++) reporter.connectionError(refused(6379), '127.0.0.1:6379');
    vi.advanceTimersByTime(10_000);
    for (let i = 0; i < 5; i++) reporter.connectionError(refused(6379), '127.0.0.1:6379');
    vi.advanceTimersByTime(10_000);
    vi.advanceTimersByTime(60_000); // a quiet window says nothing
    reporter.connected('127.0.0.1:6379');
    reporter.connected('127.0.0.1:6379');
    const messages = entries(logs.lines).map((entry) => entry.msg);
    expect(messages).toEqual([
      'redis unreachable (ECONNREFUSED 127.0.0.1:6379); retrying in the background',
      'redis unreachable (ECONNREFUSED 127.0.0.1:6379); 37 more connection errors in the last 10 s',
      'redis unreachable (ECONNREFUSED 127.0.0.1:6379); 5 more connection errors in the last 10 s',
      'redis reachable again (127.0.0.1:6379) after 80 s and 43 connection errors',
    ]);
    expect(logs.text).not.toMatch(/stack/);
  });

  it('knows an outage from a bug', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET']) {
      expect(isRedisOutageError(Object.assign(new Error(code), { code }))).toBe(true);
    }
    expect(isRedisOutageError(new Error('NOAUTH Authentication required.'))).toBe(false);
    expect(isRedisOutageError('ECONNREFUSED')).toBe(false);
  });
});

/** `node --import tsx src/main.ts all`, its stdout (pino) and stderr kept line by line. */
class Service {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (into: string[]) => {
      let rest = '';
      return (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        into.push(...lines.filter(Boolean));
      };
    };
    this.child.stdout?.on('data', keep(this.stdout));
    this.child.stderr?.on('data', keep(this.stderr));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; output:\n${[...this.stdout, ...this.stderr].join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

const services: Service[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-redis-logs-'));
  dirs.push(dir);
  return dir;
}

describe.skipIf(!redisServerBinary())('the all-in-one process while Redis is unreachable', () => {
  it('logs a few lines with a count, no stack traces, and one line when Redis is back', async () => {
    const port = await freeRestartablePort();
    const service = new Service({ REDIS_URL: `redis://127.0.0.1:${port}`, DATA_DIR: dataDir() });
    services.push(service);
    await service.until(() => service.stdout.some((line) => line.includes('"hookline started"')), 'started');
    const startedAt = service.stdout.length;
    // Twelve seconds of an outage: before this change some 150 warnings, each with a stack.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const during = entries(service.stdout.slice(startedAt));
    const all = entries(service.stdout);
    expect(all.filter((entry) => entry.err?.stack !== undefined)).toEqual([]);
    const warnings = all.filter((entry) => entry.level >= 40);
    expect(warnings[0]?.msg).toBe(`redis unreachable (ECONNREFUSED 127.0.0.1:${port}); retrying in the background`);
    expect(warnings.length).toBeLessThanOrEqual(3);
    expect(during.some((entry) => /^redis unreachable \(ECONNREFUSED 127\.0\.0\.1:\d+\); \d+ more connection errors in the last 10 s$/.test(entry.msg))).toBe(true);

    const redis = new KillableRedis(port);
    try {
      await redis.start();
      await service.until(() => entries(service.stdout).some((entry) => entry.msg.startsWith(`redis reachable again (127.0.0.1:${port}) after`)), 'back');
      expect(entries(service.stdout).filter((entry) => entry.msg.startsWith('redis reachable again'))).toHaveLength(1);
      await service.stop();
      expect(entries(service.stdout).filter((entry) => entry.level >= 50)).toEqual([]);
    } finally {
      await service.stop();
      await redis.kill();
    }
  }, 90_000);

  // REDIS_URL unset means the default address, which answers wherever these tests run; a network
  // namespace of its own (root, util-linux unshare) is a machine where nothing answers there.
  const unshare = findExecutable('unshare');
  const ip = findExecutable('ip', `${process.env.PATH ?? ''}:/usr/sbin:/sbin`);
  const isolated = process.getuid?.() === 0 && unshare !== undefined && ip !== undefined;
  it.skipIf(!isolated)('says in one line that Redis is missing and what to do, when none answers and none is installed', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'hookline-no-redis-path-'));
    dirs.push(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const script = `"${ip}" link set lo up && exec "${process.execPath}" --import tsx src/main.ts all`;
    const child = spawn(unshare ?? 'unshare', ['-n', '/bin/sh', '-c', script], {
      cwd: ROOT,
      env: { PATH: bin, HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'hookline: no Redis answers at redis://127.0.0.1:6379 and redis-server is not installed: install Redis (e.g. apt install redis-server, brew install redis) or set REDIS_URL\n',
    });
  }, 60_000);
});
