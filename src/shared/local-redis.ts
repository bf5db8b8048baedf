import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { delimiter, join, resolve as resolvePath } from 'node:path';
import { NoRedisError } from './errors.ts';

export { NoRedisError };

export type LocalRedis = { url: string; stop(): Promise<void> };

export type RedisServerOptions = {
  /** Default: a free port. */
  port?: number;
  /** More redis-server arguments; they come last, so they override the non-persistent defaults. */
  args?: readonly string[];
  /** A path, or a name looked up on `path`. Default `redis-server`. */
  binary?: string;
  /** The PATH the binary is looked up on. Default: this process' PATH. */
  path?: string;
  startTimeoutMs?: number;
};

/** A redis-server child of this process. It never outlives this process, however that ends. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGTERM (a clean shutdown: the AOF is flushed), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** A crash, for outage tests: SIGKILL unless told otherwise. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export const INSTALL_REDIS_HINT = 'install Redis (e.g. apt install redis-server, brew install redis) or set REDIS_URL';

/** Looks `name` up on a PATH the way a shell would; a name with a slash is taken as a path. */
export function findExecutable(name: string, path: string | undefined = process.env.PATH): string | undefined {
  const candidates = name.includes('/') ? [name] : (path ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; the next PATH entry may have it
    }
  }
  return undefined;
}

export function redisServerBinary(path: string | undefined = process.env.PATH): string | undefined {
  return findExecutable('redis-server', path);
}

/** Children to stop when this process exits normally: one listener for all of them. */
const guarded = new Set<ChildProcess>();
let exitListener = false;

/**
 * Ties a child's life to this process'. On a normal exit it is sent SIGTERM; for every other way out
 * (an unhandled signal, SIGKILL, a vitest worker torn down) a shell whose stdin is a pipe from us
 * waits for that pipe to close, which the kernel does however we die, and then stops the child.
 */
export function guardChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  guarded.add(child);
  if (!exitListener) {
    exitListener = true;
    process.on('exit', () => {
      for (const each of guarded) each.kill(signal);
    });
  }
  const watchdog = spawn('/bin/sh', ['-c', 'read -r _; kill -TERM "$1" 2>/dev/null', 'hookline-watchdog', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => undefined); // no /bin/sh: the exit listener still covers a normal exit
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();
  child.once('exit', () => {
    guarded.delete(child);
    watchdog.kill('SIGKILL');
  });
}

/**
 * Starts a private redis-server on 127.0.0.1 (non-persistent unless `args` say otherwise) and waits
 * until it answers. Every redis-server hookline and its tests start goes through here.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const name = options.binary ?? 'redis-server';
  const binary = findExecutable(name, options.path ?? process.env.PATH);
  if (!binary) throw new NoRedisError(`${name} is not installed (not found on PATH): ${INSTALL_REDIS_HINT}`);
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.args ?? [])];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  guardChild(child);
  // Its log (stdout) says when it is ready and why a start failed (a port taken, a bad AOF); kept only until it answers.
  let output = '';
  let started = false;
  const keep = (chunk: Buffer) => {
    if (!started) output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));

  // Its own "ready" line, not only the port: another server already on that port answers too.
  const ready = async () => /ready to accept connections/i.test(output) && (await isReachable('127.0.0.1', port));
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (!(await ready())) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (spawnError || exited || Date.now() > deadline) {
      await stopChild(child, 1_000);
      const why = spawnError?.message ?? lastLine(output) ?? (exited ? `exited with ${child.exitCode ?? child.signalCode}` : 'no answer in time');
      throw new Error(`redis-server did not start on port ${port}: ${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  started = true;
  for (const stream of [child.stdout, child.stderr]) if (stream instanceof Socket) stream.unref();

  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    get running() {
      return running();
    },
    stop: (graceMs = 10_000) => stopChild(child, graceMs),
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (!running()) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Redis' warnings (`# ...` lines) without their pid and timestamp, the last two: the cause and the outcome. */
function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  const warnings = lines.filter((line) => / # /.test(line)).map((line) => line.replace(/^.*? # /, ''));
  return (warnings.length > 0 ? warnings.slice(-2).join('; ') : lines.at(-1)) || undefined;
}

/**
 * The Redis for a laptop's all-in-one process: the default one when it answers, else a redis-server
 * of our own, persistent in `dir` (AOF, noeviction: what the Guarantees section asks of any Redis),
 * so that queued events survive a restart as they would with a real one.
 */
export async function defaultOrLocalRedis(
  defaultUrl: string,
  dir: string,
  options: Pick<RedisServerOptions, 'binary' | 'path'> = {},
): Promise<LocalRedis | undefined> {
  const { hostname, port } = new URL(defaultUrl);
  if (await isReachable(hostname || '127.0.0.1', Number(port) || 6379)) return undefined;
  const path = options.path ?? process.env.PATH;
  if (!findExecutable(options.binary ?? 'redis-server', path)) {
    throw new NoRedisError(`no Redis answers at ${defaultUrl} and redis-server is not installed: ${INSTALL_REDIS_HINT}`);
  }
  await mkdir(dir, { recursive: true });
  const server = await startRedisServer({
    ...options,
    path,
    args: ['--dir', resolvePath(dir), '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'],
  });
  return { url: server.url, stop: () => server.stop() };
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
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
