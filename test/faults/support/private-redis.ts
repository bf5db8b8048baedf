import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type RedisServer } from '../../../src/shared/local-redis.ts';
import { freeRestartablePort } from '../../support/services.ts';

/**
 * A redis-server of one scenario's own, configured as the README asks for production (AOF,
 * noeviction), on a fixed port and data directory so it can be killed and started again with its data.
 */
export class PrivateRedis {
  private server: RedisServer | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'hookline-faults-redis-'));
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.server?.running) return this;
    if (this.port === 0) this.port = await freeRestartablePort();
    this.server = await startRedisServer({
      port: this.port,
      args: ['--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'],
      startTimeoutMs: 10_000,
    });
    return this;
  }

  /** SIGKILL: a crash, not a shutdown; what was acknowledged is in the AOF already. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.server?.kill(signal);
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
