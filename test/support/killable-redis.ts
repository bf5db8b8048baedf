import { startRedisServer, type RedisServer } from '../../src/shared/local-redis.ts';

/** A private redis-server on a fixed port that a test can kill (SIGKILL: an outage) and start again. */
export class KillableRedis {
  private server: RedisServer | undefined;
  readonly port: number;
  private readonly extraArgs: readonly string[];

  constructor(port: number, extraArgs: readonly string[] = []) {
    this.port = port;
    this.extraArgs = extraArgs;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Nothing to do when it runs already: a second redis-server would fail to bind and take the first
   * one's place here, and the first would then outlive the test (how two of them leaked).
   */
  async start(): Promise<void> {
    if (this.server?.running) return;
    // Generous: on two busy cores a fresh redis-server can take seconds to listen.
    this.server = await startRedisServer({ port: this.port, args: this.extraArgs, startTimeoutMs: 15_000 });
  }

  async kill(): Promise<void> {
    await this.server?.kill('SIGKILL');
  }
}
