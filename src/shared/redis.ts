import { Cluster, Redis, ReplyError, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import { ConfigError } from './errors.ts';
import type { Logger } from './logger.ts';
import { describeTopology, keySlot, topologyOf, type HostPort, type RedisAuth, type RedisTarget, type RedisTopology } from './redis-topology.ts';

export type { RedisTarget, RedisTopology } from './redis-topology.ts';

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

/** Replies meaning "not these credentials", or "none given where some are needed". */
const REFUSED = /\b(?:WRONGPASS|NOAUTH)\b.*|\binvalid (?:username-)?password\b.*/;

/**
 * A server refusing hookline's credentials, as the variable to fix: the sentinels' password
 * (REDIS_SENTINEL_PASSWORD), the data nodes' (REDIS_PASSWORD, for Sentinel and Cluster) or the one in
 * REDIS_URL. Anything else is undefined. Only the server's reply is quoted, never a credential.
 */
export function credentialsRefusal(error: unknown, target: RedisTarget): ConfigError | undefined {
  if (!(error instanceof Error)) return undefined;
  const topology = topologyOf(target);
  // ioredis reports what the sentinels answered inside its own message: "All sentinels are unreachable. … Last error: WRONGPASS …".
  const sentinel = topology.kind === 'sentinel' ? /^All sentinels are unreachable.*Last error: (.*)$/s.exec(error.message)?.[1] : undefined;
  const last = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  const text = sentinel ?? (last instanceof Error ? `${error.message} ${last.message}` : error.message);
  const reply = REFUSED.exec(text)?.[0].trim();
  if (!reply) return undefined;
  const none = /\bNOAUTH\b/.test(reply);
  if (sentinel !== undefined && topology.kind === 'sentinel') {
    return new ConfigError('REDIS_SENTINEL_PASSWORD', topology.sentinelPassword === undefined || none
      ? `the sentinels require a password (${reply}): set REDIS_SENTINEL_PASSWORD to their requirepass`
      : `the sentinels refused it (${reply}): it must be their requirepass (the data nodes' password is REDIS_PASSWORD)`);
  }
  if (topology.kind === 'single') {
    return new ConfigError('REDIS_URL', none
      ? `Redis at ${describeTopology(topology)} requires a password (${reply}): put it in REDIS_URL (redis://:password@host:6379, or redis://user:password@…)`
      : `Redis at ${describeTopology(topology)} refused the user or password in REDIS_URL (${reply})`);
  }
  const nodes = topology.kind === 'sentinel' ? 'the Redis primary the sentinels named' : 'the cluster\'s nodes';
  const variables = topology.auth.username !== undefined ? 'REDIS_USERNAME and REDIS_PASSWORD' : 'REDIS_PASSWORD';
  return new ConfigError('REDIS_PASSWORD', topology.auth.password === undefined || none
    ? `${nodes} ${topology.kind === 'sentinel' ? 'requires' : 'require'} a password (${reply}): set REDIS_PASSWORD (and REDIS_USERNAME for an ACL user)`
    : `${nodes} refused ${variables} (${reply})${topology.kind === 'sentinel' ? '; the sentinels\' own password is REDIS_SENTINEL_PASSWORD' : ''}`);
}

export type RedisOutageReporterOptions = {
  logger: Logger;
  windowMs?: number;
  now?: () => number;
  /**
   * Credentials refused before any connection of the process was ready: the start cannot succeed,
   * so by default the process stops with one line naming the variable, as for any invalid setting.
   */
  onRefusedAtStart?: (error: ConfigError) => void;
};

function stopTheStart(error: ConfigError): void {
  process.stderr.write(`hookline: invalid configuration: ${error.message}\n`);
  process.exit(1);
}

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
  private readonly onRefusedAtStart: (error: ConfigError) => void;
  private everReady = false;
  private refusedAt: number | undefined;
  private stopped = false;

  constructor(options: RedisOutageReporterOptions) {
    this.logger = options.logger;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.onRefusedAtStart = options.onRefusedAtStart ?? stopTheStart;
  }

  /**
   * Before any connection was ready, the start stops (once, for all connections). Later — a password
   * rotated on the server but not here — the process keeps retrying (the spool, the workers' jobs
   * wait) and says so once per window, naming the variable.
   */
  credentialsRefused(error: ConfigError): void {
    if (!this.everReady) {
      if (this.stopped) return;
      this.stopped = true;
      this.onRefusedAtStart(error);
      return;
    }
    if (this.refusedAt !== undefined && this.now() - this.refusedAt < this.windowMs) return;
    this.refusedAt = this.now();
    this.logger.error({ variable: error.variable }, `redis refused hookline's credentials: ${error.message}; retrying in the background`);
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
    this.everReady = true;
    this.refusedAt = undefined;
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
  if (options.sentinels && options.sentinels.length > 0) return `sentinel ${options.name ?? ''}`.trim();
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}

/** An outage as ioredis reports it: a socket error, or Sentinel / Cluster giving up on every node for now. */
function outageOf(error: unknown): (Error & { code: string }) | undefined {
  if (isRedisOutageError(error)) return error;
  if (!(error instanceof Error)) return undefined;
  // "All sentinels are unreachable…", "Failed to refresh slots cache.", "None of startup nodes is available".
  const last = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  if (isRedisOutageError(last)) return last;
  if (/All sentinels are unreachable|None of startup nodes is available|Failed to refresh slots cache/.test(error.message)) {
    return Object.assign(new Error(error.message), { code: /ECONN\w+|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/.exec(error.message)?.[0] ?? 'ECONNREFUSED' });
  }
  return undefined;
}

/**
 * A write refused because this node is not (or no longer) a usable primary: demoted (READONLY), or
 * left without the replicas its `min-replicas-to-write` asks for (NOREPLICAS: its replica was just
 * promoted). Both mean "reconnect": to wherever the name, or the sentinels, now point.
 */
const isFailoverReply = (error: unknown): error is Error => error instanceof Error && /^(?:READONLY|NOREPLICAS)\b/.test(error.message);

type CommandItem = Parameters<Redis['handleReconnection']>[1];
type TransactionResults = [error: Error | null, result: unknown][] | null;

/**
 * A connection to one server or a Sentinel-managed primary. A demoted primary (REPLICAOF: a
 * switchover of a managed service, an operator) answers writes with READONLY, and ioredis'
 * reconnectOnError only sees errors answered to a command itself. Inside MULTI the scripts' errors
 * come back in EXEC's reply instead, which BullMQ's FlowProducer does not look at: a fan-out on a
 * demoted primary "succeeded" and its delivery jobs were never written. Here an EXEC with an error
 * inside rejects, and on READONLY (or NOREPLICAS) the connection reconnects, as for those elsewhere:
 * to whatever the name (or the sentinels) now says is the primary. BullMQ duplicates connections
 * for its blocking commands; duplicates behave the same and report to the same place.
 */
class HooklineRedis extends Redis {
  private readonly reporter: RedisOutageReporter | undefined;
  private readonly topology: RedisTopology;
  /** The socket a READONLY (or NOREPLICAS) made this connection leave: later replies on it change nothing more. */
  private leaving: unknown;

  constructor(target: string | RedisOptions, options: RedisOptions, reporter: RedisOutageReporter | undefined, topology: RedisTopology) {
    if (typeof target === 'string') super(target, options);
    else super({ ...target, ...options });
    this.reporter = reporter;
    this.topology = topology;
    const multi = this.multi.bind(this) as (...args: unknown[]) => unknown;
    this.multi = ((...args: unknown[]) => {
      const transaction = multi(...args);
      if (transaction instanceof Promise) return transaction;
      const commander = transaction as ReturnType<Redis['pipeline']>;
      const exec = commander.exec.bind(commander);
      commander.exec = async () => {
        const results: TransactionResults = await exec();
        // Any error: BullMQ's FlowProducer would take the transaction for done (an OOM would lose a fan-out too).
        const failed = results?.find(([error]) => error instanceof Error)?.[0];
        if (!failed) return results;
        if (isFailoverReply(failed) && this.leaving !== this.stream) {
          this.leaving = this.stream;
          if (this.status === 'ready') this.disconnect(true);
        }
        throw failed;
      };
      return commander;
    }) as Redis['multi'];
  }

  /**
   * READONLY and NOREPLICAS, as reconnectOnError says (1 or 2), but the socket is left once: ioredis
   * ends it again for every one already on its way (a batch of them), a close listener each time,
   * until Node warns of a listener leak.
   */
  override handleReconnection(error: Error, item: CommandItem): void {
    if (!isFailoverReply(error) || this.leaving !== this.stream) {
      if (isFailoverReply(error)) this.leaving = this.stream;
      return super.handleReconnection(error, item);
    }
    // Respondable in ioredis' types; the Command it is.
    const command = item.command as Command;
    // Left already, so not writable: a re-sent command waits in the offline queue for the next connection.
    if (this.options.reconnectOnError?.(error) === 2) this.sendCommand(command);
    else command.reject(error);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const reporter = this.reporter;
    if (!reporter) return super.emit(event, ...args);
    const [first] = args;
    const refused = event === 'error' ? credentialsRefusal(first, this.topology) : undefined;
    if (refused) {
      reporter.credentialsRefused(refused);
      return true;
    }
    const outage = event === 'error' ? outageOf(first) : undefined;
    if (outage) {
      reporter.connectionError(outage, targetOf(this.options));
      return true;
    }
    if (event === 'ready') reporter.connected(targetOf(this.options));
    return super.emit(event, ...args);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new HooklineRedis({ ...this.options }, override ?? {}, this.reporter, this.topology);
  }
}

/** The same for a cluster: its nodes' connection errors come as 'node error'. */
class ReportingCluster extends Cluster {
  private readonly reporter: RedisOutageReporter;
  private readonly target: string;
  private readonly nodeList: HostPort[];
  private readonly topology: RedisTopology;

  constructor(nodes: HostPort[], options: ClusterOptions, reporter: RedisOutageReporter, topology: RedisTopology) {
    super(nodes, options);
    this.reporter = reporter;
    this.nodeList = nodes;
    this.topology = topology;
    this.target = `cluster ${nodes.map((node) => `${node.host}:${node.port}`).join(',')}`;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const [first, key] = args;
    const refused = event === 'error' || event === 'node error' ? credentialsRefusal(first, this.topology) : undefined;
    if (refused) {
      this.reporter.credentialsRefused(refused);
      return true;
    }
    const outage = event === 'error' || event === 'node error' ? outageOf(first) : undefined;
    if (outage) {
      this.reporter.connectionError(outage, typeof key === 'string' ? key : this.target);
      return true;
    }
    if (event === 'ready') this.reporter.connected(this.target);
    return super.emit(event, ...args);
  }

  override duplicate(overrideStartupNodes: HostPort[] = [], overrideOptions: Partial<ClusterOptions> = {}): Cluster {
    const nodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : this.nodeList;
    return new ReportingCluster(nodes, { ...this.options, ...overrideOptions }, this.reporter, this.topology);
  }
}

/** What a purpose asks of its connections, whatever the topology. */
type Behaviour = {
  /** Commands fail at once while disconnected instead of waiting in ioredis' offline queue. */
  failFast: boolean;
  maxRetriesPerRequest: number | null;
  connectTimeout: number;
  lazyConnect?: boolean;
  retry: ((times: number) => number | null) | null;
  /** After a failover the old primary may come back as a replica, or stay up without replicas: READONLY and NOREPLICAS mean "reconnect", and 2 re-sends. */
  onReadOnly: 1 | 2;
};

const backoff = (times: number) => Math.min(times * 200, 2_000);

function readOnly(reply: 1 | 2) {
  return (error: Error) => (isFailoverReply(error) ? reply : false);
}

function authOptions(auth: RedisAuth): Partial<RedisOptions> {
  return {
    ...(auth.username !== undefined ? { username: auth.username } : {}),
    ...(auth.password !== undefined ? { password: auth.password } : {}),
    ...(auth.tls ? { tls: {} } : {}),
  };
}

/**
 * The one place hookline makes a Redis connection: for one server, a Sentinel-managed primary (found
 * through the sentinels, followed to a promoted replica after a failover) or a Redis Cluster. A
 * Cluster is returned typed as `Redis`: hookline and BullMQ use only commands both speak, and BullMQ
 * tells them apart at run time (`isCluster`).
 */
export function createRedisConnection(target: RedisTarget, behaviour: Behaviour): Redis {
  const topology = topologyOf(target);
  const reporter = processReporter;
  const common: RedisOptions = {
    maxRetriesPerRequest: behaviour.maxRetriesPerRequest,
    connectTimeout: behaviour.connectTimeout,
    reconnectOnError: readOnly(behaviour.onReadOnly),
    ...(behaviour.lazyConnect !== undefined ? { lazyConnect: behaviour.lazyConnect } : {}),
  };
  if (topology.kind === 'cluster') {
    const options: ClusterOptions = {
      enableOfflineQueue: !behaviour.failFast,
      clusterRetryStrategy: (times) => behaviour.retry?.(times) ?? null,
      ...(behaviour.lazyConnect !== undefined ? { lazyConnect: behaviour.lazyConnect } : {}),
      // Managed clusters with TLS (ElastiCache, MemoryDB) announce addresses their certificates do not name.
      ...(topology.auth.tls ? { dnsLookup: (address: string, callback: (error: Error | null, address: string) => void) => callback(null, address) } : {}),
      redisOptions: { ...common, ...authOptions(topology.auth) },
    };
    const nodes = topology.nodes.map((node) => ({ ...node }));
    const cluster = reporter ? new ReportingCluster(nodes, options, reporter, topology) : new Cluster(nodes, options);
    return cluster as unknown as Redis;
  }
  const options: RedisOptions = {
    ...common,
    enableOfflineQueue: !behaviour.failFast,
    retryStrategy: (times) => behaviour.retry?.(times) ?? null,
  };
  if (topology.kind === 'sentinel') {
    Object.assign(options, {
      sentinels: topology.sentinels.map((node) => ({ ...node })),
      name: topology.name,
      role: 'master',
      ...(topology.sentinelPassword !== undefined ? { sentinelPassword: topology.sentinelPassword } : {}),
      // ioredis' enableTLSForSentinelMode is TLS to the data nodes (with `tls`); sentinelTLS to the sentinels.
      ...(topology.auth.tls ? { enableTLSForSentinelMode: true } : {}),
      ...(topology.sentinelTls ? { sentinelTLS: {} } : {}),
      // Not ioredis' failoverDetector: a +switch-master that arrives while a connection is already
      // reconnecting (the primary died) disconnects its connector mid-connect, and ioredis then ends
      // that connection for good ("Connection is closed." for ever). A demoted primary that stays up
      // answers writes with READONLY instead, which reconnects (reconnectOnError above).
      sentinelRetryStrategy: (times: number) => (behaviour.retry ? Math.min(times * 200, 2_000) : null),
      ...authOptions(topology.auth),
    } satisfies RedisOptions);
    return new HooklineRedis(options, {}, reporter, topology);
  }
  return new HooklineRedis(topology.url, options, reporter, topology);
}

/**
 * The ingress must answer 503 quickly while Redis is away, so its commands fail at once instead of
 * waiting in ioredis' offline queue; it keeps reconnecting in the background. Commands in flight when
 * the connection drops fail too rather than being re-sent on reconnect: the ingress retries through
 * its own paths (the provider's retry after a 503, the spool's drain).
 */
export function createIngressRedis(target: RedisTarget): Redis {
  return createRedisConnection(target, { failFast: true, maxRetriesPerRequest: 0, connectTimeout: 3_000, retry: backoff, lazyConnect: false, onReadOnly: 1 });
}

/** Workers wait out a Redis outage: BullMQ requires `maxRetriesPerRequest: null` for them. */
export function createWorkerRedis(target: RedisTarget): Redis {
  return createRedisConnection(target, { failFast: false, maxRetriesPerRequest: null, connectTimeout: 5_000, retry: backoff, onReadOnly: 2 });
}

/** The status page and the CLI: a command fails after one retry instead of waiting out an outage. */
export function createToolRedis(target: RedisTarget): Redis {
  return createRedisConnection(target, { failFast: false, maxRetriesPerRequest: 1, connectTimeout: 3_000, retry: backoff, onReadOnly: 2 });
}

/** One attempt, for "does Redis answer?" (the CLI's doctor and replay): connect it yourself. */
export function createProbeRedis(target: RedisTarget, connectTimeout = 3_000): Redis {
  return createRedisConnection(target, { failFast: false, maxRetriesPerRequest: 0, connectTimeout, retry: null, lazyConnect: true, onReadOnly: 1 });
}

export { describeTopology };

function isCluster(connection: Redis): connection is Redis & { isCluster: true } {
  return (connection as { isCluster?: unknown }).isCluster === true;
}

/**
 * `WAIT <replicas> <timeoutMs>` on the connection that made the writes to wait for, answering how
 * many replicas acknowledged them (all of this connection's writes so far). On a cluster that is
 * the connection to the primary owning `key`'s slot: where the writes went.
 */
export async function waitForReplicas(connection: Redis, replicas: number, timeoutMs: number, key: string): Promise<number> {
  return Number(await writerOf(connection, key).call('WAIT', replicas, timeoutMs));
}

/** The connection `key`'s writes go through: the connection itself, or on a cluster the one to the slot's primary. */
function writerOf(connection: Redis, key: string): Redis {
  if (!isCluster(connection)) return connection;
  const cluster = connection as unknown as Cluster;
  const owner = cluster.slots[keySlot(key)]?.[0];
  const node = cluster.nodes('master').find((each) => `${each.options.host}:${each.options.port}` === owner);
  if (!node) throw new Error(`no connection to the primary of slot ${keySlot(key)}`);
  return node;
}

export type ReplicaAckSupport =
  | { kind: 'ready'; connected: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'unknown'; reason: string };

/**
 * Whether the primary `key` lives on can serve REDIS_MIN_REPLICAS_ACK: it accepts WAIT (some managed
 * services and ACL users refuse it, and then every webhook would be answered 503) and how many
 * replicas are connected to it. `WAIT 0 0` returns at once and writes nothing.
 */
export async function replicaAckSupport(connection: Redis, key: string): Promise<ReplicaAckSupport> {
  let writer: Redis;
  try {
    writer = writerOf(connection, key);
  } catch (error) {
    return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  }
  try {
    await writer.call('WAIT', 0, 0);
  } catch (error) {
    // A reply is the server's answer about the command; anything else says nothing about it.
    if (error instanceof ReplyError && error instanceof Error) return { kind: 'refused', reason: error.message };
    return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  }
  const info = await writer.info('replication').catch(() => '');
  return { kind: 'ready', connected: Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0) };
}
