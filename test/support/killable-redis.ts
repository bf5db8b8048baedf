import { spawn, type ChildProcess } from 'node:child_process';
import { isReachable } from '../../src/shared/local-redis.ts';

/** A private redis-server on a fixed port that a test can kill (SIGKILL: an outage) and start again. */
export class KillableRedis {
  private child: ChildProcess | undefined;
  readonly port: number;
  private readonly extraArgs: readonly string[];

  constructor(port: number, extraArgs: readonly string[] = []) {
    this.port = port;
    this.extraArgs = extraArgs;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArgs],
      { stdio: 'ignore' },
    );
    // Generous: on two busy cores a fresh redis-server can take seconds to listen.
    for (let i = 0; i < 300; i++) {
      if (this.child.exitCode !== null) break;
      if (await isReachable('127.0.0.1', this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not come up on port ${this.port}`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
