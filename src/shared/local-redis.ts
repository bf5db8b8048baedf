import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';

export type LocalRedis = { url: string; stop(): Promise<void> };

export class NoRedisError extends Error {
  constructor(url: string) {
    super(
      `no Redis answers at ${url} and redis-server is not installed: install Redis (e.g. apt-get install redis-server, brew install redis) or set REDIS_URL`,
    );
    this.name = 'NoRedisError';
  }
}

/**
 * The Redis for a laptop's all-in-one process: the default one when it answers, else a redis-server
 * of our own, persistent in `dir` (AOF, noeviction: what the Guarantees section asks of any Redis),
 * so that queued events survive a restart as they would with a real one.
 */
export async function defaultOrLocalRedis(defaultUrl: string, dir: string): Promise<LocalRedis | undefined> {
  const { hostname, port } = new URL(defaultUrl);
  if (await isReachable(hostname || '127.0.0.1', Number(port) || 6379)) return undefined;
  const binary = redisServerBinary();
  if (!binary) throw new NoRedisError(defaultUrl);
  await mkdir(dir, { recursive: true });
  const freeOne = await freePort();
  const child = spawn(
    binary,
    [
      '--port', String(freeOne),
      '--bind', '127.0.0.1',
      '--dir', resolvePath(dir),
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
    ],
    { stdio: 'ignore' },
  );
  // Not left behind when this process exits without stopping it (a failed start, a crash).
  const orphanGuard = () => child.kill('SIGTERM');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  const deadline = Date.now() + 10_000;
  while (!(await isReachable('127.0.0.1', freeOne))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${freeOne}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${freeOne}`, stop: () => stopChild(child) };
}

export function redisServerBinary(): string | undefined {
  const found = (spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout ?? '').trim();
  return found || undefined;
}

export function isReachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
