import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/** Connection errors that mean "Redis is not there (yet)": an outage to report, not a bug to trace. */
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);

export function isRedisOutageError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && OUTAGE_CODES.has(code);
}

/** `ECONNREFUSED 127.0.0.1:6379`, from what the error carries, else from the connection's URL. */
function describeOutage(error: Error & { code: string }, fallbackTarget: string): string {
  const { address, port, hostname } = error as Error & { address?: unknown; port?: unknown; hostname?: unknown };
  const host = typeof address === 'string' ? address : typeof hostname === 'string' ? hostname : undefined;
  const target = host ? (typeof port === 'number' ? `${host}:${port}` : host) : fallbackTarget;
  return `${error.code} ${target}`;
}

export type RedisOutageReporterOptions = { logger: Logger; windowMs?: number; now?: () => number };

/**
 * One process' account of Redis outages, shared by all its connections (the ingress', the workers',
 * BullMQ's duplicates): one warning when Redis goes away, then at most one per window with the
 * number of connection errors in it, and one line when a connection is ready again.
 */
export class RedisOutageReporter {
  private readonly logger: Logger;
  private readonly windowMs: number;
  private readonly now: () => number;
  private down: { since: number; last: string; total: number } | undefined;
  private unreported = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: RedisOutageReporterOptions) {
    this.logger = options.logger;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  connectionError(error: Error & { code: string }, target: string): void {
    const last = describeOutage(error, target);
    if (!this.down) {
      this.down = { since: this.now(), last, total: 1 };
      this.logger.warn({ redis: target, code: error.code }, `redis unreachable (${last}); retrying in the background`);
      this.schedule();
      return;
    }
    this.down.last = last;
    this.down.total++;
    this.unreported++;
    if (!this.timer) this.schedule();
  }

  connected(target: string): void {
    const down = this.down;
    if (!down) return;
    this.down = undefined;
    this.unreported = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const seconds = Math.round((this.now() - down.since) / 1000);
    this.logger.info(
      { redis: target, downSeconds: seconds, connectionErrors: down.total },
      `redis reachable again (${target}) after ${seconds} s and ${down.total} connection ${down.total === 1 ? 'error' : 'errors'}`,
    );
  }

  /** Stops the window timer (a closing process); nothing more is reported. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.flush(), this.windowMs);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    const down = this.down;
    if (!down || this.unreported === 0) return;
    const count = this.unreported;
    this.unreported = 0;
    const seconds = Math.round(this.windowMs / 1000);
    this.logger.warn(
      { code: down.last.split(' ')[0], connectionErrors: count },
      `redis unreachable (${down.last}); ${count} more connection ${count === 1 ? 'error' : 'errors'} in the last ${seconds} s`,
    );
    this.schedule();
  }
}

let processReporter: RedisOutageReporter | undefined;

/**
 * From now on, connections made here report outages to `reporter` instead of emitting each expected
 * connection error, which the ingress, BullMQ's queues and workers would each log with a stack.
 * A process' entry point sets this once; without it every error is emitted as ioredis emits it.
 */
export function reportRedisOutages(reporter: RedisOutageReporter | undefined): void {
  processReporter = reporter;
}

function targetOf(options: RedisOptions): string {
  if (options.path) return options.path;
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}

/** BullMQ duplicates connections for its blocking commands; duplicates report to the same place. */
class ReportingRedis extends Redis {
  private readonly reporter: RedisOutageReporter;

  constructor(target: string | RedisOptions, options: RedisOptions, reporter: RedisOutageReporter) {
    if (typeof target === 'string') super(target, options);
    else super({ ...target, ...options });
    this.reporter = reporter;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const [first] = args;
    if (event === 'error' && isRedisOutageError(first)) {
      this.reporter.connectionError(first, targetOf(this.options));
      return true;
    }
    if (event === 'ready') this.reporter.connected(targetOf(this.options));
    return super.emit(event, ...args);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new ReportingRedis({ ...this.options }, override ?? {}, this.reporter);
  }
}

function createRedis(url: string, options: RedisOptions): Redis {
  const reporter = processReporter;
  return reporter ? new ReportingRedis(url, options, reporter) : new Redis(url, options);
}

/**
 * The ingress must answer 503 quickly while Redis is away, so its commands fail at once instead of
 * waiting in ioredis' offline queue; it keeps reconnecting in the background. Commands in flight when
 * the connection drops fail too rather than being re-sent on reconnect: the ingress retries through
 * its own paths (the provider's retry after a 503, the spool's drain).
 */
export function createIngressRedis(url: string): Redis {
  return createRedis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  } satisfies RedisOptions);
}

/** Workers wait out a Redis outage: BullMQ requires `maxRetriesPerRequest: null` for them. */
export function createWorkerRedis(url: string): Redis {
  return createRedis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  } satisfies RedisOptions);
}
