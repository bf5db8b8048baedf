import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeRestartablePort, isReachable } from '../../support/services.ts';

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a)).find((v) => existsSync(join(root, v, 'bin', 'initdb')));
  return version && join(root, version, 'bin');
}

/**
 * A PostgreSQL cluster of one scenario's own, on a fixed port and data directory, so it can be
 * stopped (a fast shutdown: every connection is cut) and started again with its data.
 * As root it runs as the `postgres` user, because initdb and postgres refuse to run as root.
 */
export class PrivatePostgres {
  private child: ChildProcess | undefined;
  private readonly dir: string;
  private readonly bin: string;
  port = 0;

  private constructor(dir: string, bin: string) {
    this.dir = dir;
    this.bin = bin;
  }

  static available(): boolean {
    return binDir() !== undefined;
  }

  static async create(): Promise<PrivatePostgres> {
    const bin = binDir();
    if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
    const dir = mkdtempSync(join(tmpdir(), 'hookline-faults-pg-'));
    chmodSync(dir, 0o700);
    if (process.getuid?.() === 0) spawnSync('chown', ['postgres', dir]);
    const init = PrivatePostgres.asPostgres([join(bin, 'initdb'), '-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    const result = spawnSync(init[0]!, init.slice(1), { stdio: 'ignore' });
    if (result.status !== 0) throw new Error('initdb failed');
    const pg = new PrivatePostgres(dir, bin);
    pg.port = await freeRestartablePort();
    return pg;
  }

  private static asPostgres(args: string[]): string[] {
    return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const run = PrivatePostgres.asPostgres([join(this.bin, 'postgres'), '-D', this.dir, '-p', String(this.port), '-k', this.dir,
      '-h', '127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100']);
    const child = spawn(run[0]!, run.slice(1), { stdio: 'ignore' });
    this.child = child;
    for (let i = 0; i < 300; i++) {
      if (await isReachable('127.0.0.1', this.port)) {
        await new Promise((r) => setTimeout(r, 300)); // TCP comes up before logins are accepted
        return;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`postgres did not start on port ${this.port}`);
  }

  /** A fast shutdown (SIGINT): open transactions are rolled back and every client is disconnected. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      // The postmaster itself, not runuser in front of it.
      const pid = Number(readFileSync(join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, signal);
    });
    for (let i = 0; i < 100 && (await isReachable('127.0.0.1', this.port)); i++) await new Promise((r) => setTimeout(r, 50));
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
