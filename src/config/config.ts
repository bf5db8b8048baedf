import type { LevelWithSilent } from 'pino';
import type { EventCategory, EventStatus } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';
import type { RedisTopology } from '../shared/redis-topology.ts';

export type DatabaseConfig =
  | { kind: 'postgres'; url: string; schema: string | undefined }
  | { kind: 'embedded'; dataDir: string };

/** Which events a destination receives; a filter left out matches everything. */
export type RouteFilter = {
  providers: ReadonlySet<ProviderId> | undefined;
  categories: ReadonlySet<EventCategory> | undefined;
  statuses: ReadonlySet<EventStatus>;
};

type DestinationBase = {
  /** Stable and URL-free: names the delivery queue (`deliver-<id>`) and its delivery records. */
  id: string;
  /** Where it was configured, for messages: `SLACK_WEBHOOK_URL`, `SLACK_ROUTES[2]`… */
  source: string;
  filter: RouteFilter;
  /** Most events one digest message reports. */
  digestMax: number;
};

export type SlackConfig = DestinationBase & {
  kind: 'slack';
  webhookUrl: string;
  /** Kept for the shorthand destination: its filter's statuses. */
  statuses: ReadonlySet<EventStatus>;
  /** Slack allows about one message per second per incoming webhook. */
  maxPerSecond: number;
};

export type EmailConfig = DestinationBase & {
  kind: 'email';
  smtpUrl: string;
  from: string;
  to: readonly string[];
  statuses: ReadonlySet<EventStatus>;
  maxPerMinute: number;
};

export type DestinationConfig = SlackConfig | EmailConfig;

export type AlertsConfig = {
  /** Where people reach hookline; messages link to each event's page when set. */
  publicUrl: string | undefined;
  /** Seconds after which a run still started/running/resumed is stuck, per provider; 0 = off. */
  stuckAfterSeconds: Readonly<Record<ProviderId, number>>;
  /** How often the (single, cluster-wide) stuck check runs. */
  stuckCheckIntervalMs: number;
};

export type SpoolConfig = { enabled: boolean | undefined; dir: string; maxBytes: number };

export type Config = {
  port: number;
  host: string;
  redisUrl: string;
  /** REDIS_URL was left unset: the all-in-one process may then start a Redis of its own. */
  redisUrlIsDefault: boolean;
  /** Where Redis is (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): every connection is made from it. */
  redis: RedisTopology;
  /** REDIS_MIN_REPLICAS_ACK: a 202 only once this many replicas hold the event (`WAIT`); unset = off. */
  redisReplicaAck: { replicas: number; timeoutMs: number } | undefined;
  /** Local state of a laptop install: the embedded database, the spool, a Redis of our own. */
  dataDir: string;
  /** BullMQ key prefix; lets several hookline installations (or tests) share one Redis. A hash tag (`{hookline}`) on a cluster. */
  queuePrefix: string;
  /** Credentials per provider; a provider missing here is switched off (404). */
  credentials: Partial<Record<ProviderId, readonly string[]>>;
  toleranceSeconds: number;
  maxBodyBytes: number;
  /** How long an event key is remembered for duplicate detection. */
  dedupWindowSeconds: number;
  /** A provider's own window, where its definition has one (PersonaClick: keys are body hashes). */
  providerDedupWindowSeconds: Partial<Record<ProviderId, number>>;
  /** Longest wait for Redis to store an event before answering 503. */
  enqueueTimeoutMs: number;
  /** The ingress' local spool for queue outages; `enabled` unset means the process role decides. */
  spool: SpoolConfig;
  /** BullMQ job locks: a killed worker's jobs run again once the lock lapses and a stall check sees it. */
  workerLockDurationMs: number;
  workerStalledIntervalMs: number;
  database: DatabaseConfig;
  /** The shorthand destinations (SLACK_WEBHOOK_URL, EMAIL_TO); also listed in `destinations`. */
  slack: SlackConfig | undefined;
  email: EmailConfig | undefined;
  /** Every Slack and email destination: the shorthand ones first, then SLACK_ROUTES, then EMAIL_ROUTES. */
  destinations: readonly DestinationConfig[];
  alerts: AlertsConfig;
  logLevel: LevelWithSilent;
  /** Bound on a graceful stop: in-flight requests and jobs get this long, then the process exits. */
  shutdownTimeoutMs: number;
  workerConcurrency: number;
  /** Turns the status page /admin on (processes with a database), behind this token. */
  adminToken: string | undefined;
  /** Express' `trust proxy` (TRUST_PROXY): who may name the client's address in X-Forwarded-For. */
  trustProxy: false | number | readonly string[];
};

/** How long `provider`'s event keys (and its alerts' delivery records) are remembered. */
export function dedupWindowMs(config: Pick<Config, 'dedupWindowSeconds' | 'providerDedupWindowSeconds'>, provider: ProviderId): number {
  return 1000 * (config.providerDedupWindowSeconds[provider] ?? config.dedupWindowSeconds);
}
