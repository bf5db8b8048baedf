import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, guardChild, isReachable, startRedisServer, stopChild } from '../../src/shared/local-redis.ts';

/** Backing services for the tests: the ones already running, or private ones started here. */

// The same probes the service uses to find (or start) a Redis of its own.
export { freePort, isReachable };

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

export type StartedService = { url: string; stop: () => Promise<void> };

/** A private, non-persistent redis-server on a free port; it never outlives the process that started it. */
export async function startPrivateRedis(): Promise<StartedService> {
  const server = await startRedisServer();
  return { url: server.url, stop: () => server.stop(5_000) };
}

function postgresBinDir(): string | undefined {
  const direct = which('initdb');
  if (direct && which('pg_ctl')) return undefined; // on PATH already
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

/**
 * A private PostgreSQL cluster in a temporary directory, for machines with the binaries but no running
 * server. As root it runs as the `postgres` user, because initdb refuses to run as root.
 */
export async function startPrivatePostgres(): Promise<StartedService | undefined> {
  const binDir = postgresBinDir();
  const bin = (name: string) => (binDir ? join(binDir, name) : which(name));
  const initdb = bin('initdb');
  const postgres = bin('postgres');
  if (!initdb || !postgres || !existsSync(initdb)) return undefined;
  const asRoot = process.getuid?.() === 0;
  const runAs = (args: string[]) => (asRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args);
  const dir = mkdtempSync(join(tmpdir(), 'hookline-pg-'));
  if (asRoot) spawnSync('chown', ['postgres', dir]);
  const init = runAs([initdb, '-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const result = spawnSync(init[0]!, init.slice(1), { stdio: 'ignore' });
  if (result.status !== 0) return undefined;
  const port = await freePort();
  const run = runAs([postgres, '-D', dir, '-p', String(port), '-k', dir, '-h', '127.0.0.1', '-c', 'fsync=off']);
  const child = spawn(run[0]!, run.slice(1), { stdio: 'ignore' });
  guardChild(child);
  await waitFor(() => isReachable('127.0.0.1', port), 20_000, 'postgres');
  // The server accepts TCP before it accepts logins; give it a moment to finish recovery.
  await new Promise((r) => setTimeout(r, 500));
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await stopChild(child, 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A free port below the ephemeral range, for a server a test stops and starts again on the same
 * port. A port from the ephemeral range can be taken while the server is down, by the client's own
 * reconnect attempts: a connect to a closed local port may be given that very port as its source
 * and connect to itself, and the server then cannot bind it again.
 */
export async function freeRestartablePort(): Promise<number> {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const ceiling = Math.min(low && low > 2_048 ? low : 32_768, 32_768);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 2_048 + Math.floor(Math.random() * (ceiling - 2_048));
    if (await canListen(port)) return port;
  }
  return freePort();
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
