import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { EVENT_STATUSES, type EventStatus } from '../normalizers/normalized-event.ts';
import { ConfigError } from '../shared/errors.ts';
import { hashTaggedPrefix, parseHostPorts, type RedisAuth, type RedisTopology } from '../shared/redis-topology.ts';
import { PROVIDERS, type ProviderId } from '../providers/registry.ts';
import type { Config, DestinationConfig, EmailConfig, RouteFilter, SlackConfig } from './config.ts';
import { DEFAULT_ALERT_STATUSES, derivedDestinationId, parseEmailRoutes, parseSlackRoutes, slackUrlProblem } from './routes.ts';

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, { error: `expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `expected at least ${min}` }).max(max, { error: `expected at most ${max}` }));
}

function url(protocols: readonly string[]) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
}

const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
  .pipe(z.array(z.string()).min(1, { error: 'expected at least one non-empty value' }));

const statusList = commaList.pipe(
  z.array(z.enum(EVENT_STATUSES, { error: `expected statuses among ${EVENT_STATUSES.join(', ')}` })),
);

const emailAddress = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$|^.*<[^\s@<>]+@[^\s@<>]+>$/, {
  error: 'expected an email address',
});

const stuckSeconds = integer(0, 365 * 86_400);

/** One schema per variable, so a failure always names exactly one variable. */
const VARIABLES = {
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  // `{name}`: a Redis Cluster hash tag, for a single endpoint that still wants one slot (a cluster proxy).
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$|^\{[A-Za-z0-9_-]+\}$/, { error: 'expected letters, digits, _ or -, or those in braces ({hookline})' }).default('hookline'),
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9._-]+$/, { error: 'expected the primary\'s name in the sentinels\' configuration (letters, digits, . _ -)' }).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  REDIS_SENTINEL_TLS: z.enum(['true', 'false'], { error: 'expected true or false' }).optional(),
  REDIS_CLUSTER_NODES: z.string().optional(),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_TLS: z.enum(['true', 'false'], { error: 'expected true or false' }).optional(),
  REDIS_MIN_REPLICAS_ACK: integer(0, 16).default(0),
  REDIS_REPLICA_ACK_TIMEOUT_MS: integer(10, 60_000).default(500),
  WEBHOOK_TOLERANCE_SECONDS: integer(1, 86_400).default(300),
  MAX_BODY_BYTES: integer(1, 100 * 1024 * 1024).default(1_048_576),
  DEDUP_WINDOW_SECONDS: integer(60, 90 * 86_400).default(7 * 86_400),
  ENQUEUE_TIMEOUT_MS: integer(50, 60_000).default(2_000),
  SPOOL_ENABLED: z.enum(['true', 'false'], { error: 'expected true or false' }).optional(),
  SPOOL_DIR: z.string().min(1).optional(),
  SPOOL_MAX_BYTES: integer(1_048_576, 1024 ** 4).default(268_435_456),
  WORKER_LOCK_DURATION_MS: integer(1_000, 600_000).default(6_000),
  WORKER_STALLED_INTERVAL_MS: integer(1_000, 600_000).default(4_000),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, { error: 'expected a lower-case SQL identifier' }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  SLACK_WEBHOOK_URL: url(['https:', 'http:']).optional(),
  SLACK_STATUSES: statusList.optional(),
  SLACK_MAX_PER_SECOND: integer(1, 1000).default(1),
  SLACK_DIGEST_MAX: integer(1, 20).default(20),
  SLACK_ROUTES: z.string().optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  EMAIL_FROM: emailAddress.optional(),
  EMAIL_TO: commaList.pipe(z.array(emailAddress)).optional(),
  EMAIL_STATUSES: statusList.optional(),
  EMAIL_MAX_PER_MINUTE: integer(1, 6_000).default(6),
  EMAIL_DIGEST_MAX: integer(1, 50).default(50),
  EMAIL_ROUTES: z.string().optional(),
  PUBLIC_URL: url(['https:', 'http:']).optional(),
  STUCK_AFTER_SECONDS: stuckSeconds.optional(),
  STUCK_CHECK_INTERVAL_SECONDS: integer(1, 86_400).default(60),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(25_000),
  WORKER_CONCURRENCY: integer(1, 1000).default(64),
  // Hopeless to guess, even at the login limit's pace: refused at start-up when weak.
  ADMIN_TOKEN: z.string().superRefine(adminTokenCheck).optional(),
  TRUST_PROXY: z.string().transform(trustProxySetting).optional(),
} as const;

/** `PERSONA_STUCK_AFTER_SECONDS`: a provider's own stuck threshold. */
export function stuckVariable(provider: ProviderId): string {
  return `${provider.toUpperCase()}_STUCK_AFTER_SECONDS`;
}

/** Each provider's variables, from its definition: credentials, its own dedup window, its stuck threshold. */
function providerVariables(provider: (typeof PROVIDERS)[number]) {
  return {
    credentials: [provider.credential.variable, commaList.optional()] as const,
    dedupWindow: provider.dedupWindow
      ? ([provider.dedupWindow.variable, integer(1, 90 * 86_400).default(provider.dedupWindow.defaultSeconds)] as const)
      : undefined,
    stuckAfter: [stuckVariable(provider.id), stuckSeconds.optional()] as const,
  };
}

const MAKE_A_TOKEN = 'make one with `openssl rand -base64 32`';

/** ADMIN_TOKEN: at least 24 characters, of several kinds, not a short pattern repeated. */
function adminTokenCheck(value: string, context: z.RefinementCtx): void {
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((kind) => kind.test(value)).length;
  const distinct = new Set(value).size;
  let problem: string | undefined;
  if (value.length < 24) problem = 'too short: expected at least 24 characters';
  // A long random hex or lower-case-and-digits token (`openssl rand -hex 32`) is strong with two kinds.
  else if (kinds < (value.length >= 32 ? 2 : 3)) problem = 'too weak: expected at least 3 kinds of character among lower case, upper case, digits and symbols (2 from 32 characters on)';
  else if (distinct < 10) problem = 'too weak: too few different characters';
  if (problem) context.addIssue({ code: 'custom', message: `${problem}; ${MAKE_A_TOKEN}` });
}

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Express' `trust proxy`: which hops in front of hookline may say, in X-Forwarded-For, who the
 * client is (the login limit counts per client address). `false` (the default: the socket's peer is
 * the client), a hop count, or a comma-separated list of addresses, CIDR blocks and the names
 * loopback, linklocal, uniquelocal. `true` (trust any hop) is refused: every client could then name
 * its own address.
 */
function trustProxySetting(value: string, context: z.RefinementCtx<string>): false | number | string[] {
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops <= 32) return hops === 0 ? false : hops;
  }
  const items = value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  const bad = value === 'true' ? 'true' : items.find((item) => !TRUST_PROXY_NAMES.has(item) && !isAddressOrBlock(item));
  if (bad !== undefined || items.length === 0) {
    context.addIssue({
      code: 'custom',
      message:
        bad === 'true'
          ? 'true would trust any X-Forwarded-For, so any client could pick its own address: give the number of proxies in front of hookline, or their addresses'
          : `expected false, a number of proxy hops (1-32), or a comma-separated list of addresses, CIDR blocks, loopback, linklocal or uniquelocal${bad === undefined ? '' : ` (${JSON.stringify(bad)} is none of these)`}`,
    });
    return z.NEVER;
  }
  return items;
}

function isAddressOrBlock(item: string): boolean {
  const [address = '', prefix, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

type VariableName = keyof typeof VARIABLES;
type Parsed = { [K in VariableName]: z.output<(typeof VARIABLES)[K]> };

function parseVariable<Schema extends z.ZodType>(env: Env, name: string, schema: Schema): z.output<Schema> {
  const raw = env[name];
  // An empty variable means "unset", as in most deployment tools.
  const value = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  const result = schema.safeParse(value);
  if (!result.success) {
    const reason = result.error.issues[0]?.message ?? 'invalid value';
    throw new ConfigError(name, value === undefined ? reason : `${reason} (got ${describe(name, value)})`);
  }
  return result.data;
}

function parseVariables(env: Env): Parsed {
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(VARIABLES)) parsed[name] = parseVariable(env, name, schema);
  return parsed as Parsed;
}

type ProviderSettings = {
  credentials: Partial<Record<ProviderId, readonly string[]>>;
  dedupWindowSeconds: Partial<Record<ProviderId, number>>;
  stuckAfterSeconds: Partial<Record<ProviderId, number>>;
};

function parseProviderSettings(env: Env): ProviderSettings {
  const settings: ProviderSettings = { credentials: {}, dedupWindowSeconds: {}, stuckAfterSeconds: {} };
  for (const provider of PROVIDERS) {
    const variables = providerVariables(provider);
    const credentials = parseVariable(env, ...variables.credentials);
    if (credentials) settings.credentials[provider.id] = credentials;
    if (variables.dedupWindow) settings.dedupWindowSeconds[provider.id] = parseVariable(env, ...variables.dedupWindow);
    const stuck = parseVariable(env, ...variables.stuckAfter);
    if (stuck !== undefined) settings.stuckAfterSeconds[provider.id] = stuck;
  }
  return settings;
}

/** Every variable hookline reads: the general ones, then each provider's (`.env.example` is checked against it). */
export function configVariableNames(): string[] {
  const names: string[] = Object.keys(VARIABLES);
  for (const provider of PROVIDERS) {
    const variables = providerVariables(provider);
    names.push(variables.credentials[0], ...(variables.dedupWindow ? [variables.dedupWindow[0]] : []), variables.stuckAfter[0]);
  }
  return names;
}

/** Secrets are never echoed, not even in a config error. */
const CREDENTIAL_VARIABLES: ReadonlySet<string> = new Set(PROVIDERS.map((provider) => provider.credential.variable));

function describe(name: string, value: string): string {
  const secret =
    CREDENTIAL_VARIABLES.has(name) || (/SECRET|TOKEN|AUTHORIZATION|URL|ROUTES|PASSWORD|USERNAME/.test(name) && !/^(REDIS|DATABASE)_URL$/.test(name));
  return secret ? `a value of ${value.length} characters` : JSON.stringify(value);
}

function statusSet(list: readonly EventStatus[] | undefined): ReadonlySet<EventStatus> {
  return new Set(list ?? DEFAULT_ALERT_STATUSES);
}

function statusFilter(list: readonly EventStatus[] | undefined): RouteFilter {
  return { providers: undefined, categories: undefined, statuses: statusSet(list) };
}

/** A provider's own variable, else STUCK_AFTER_SECONDS, else the provider's default. */
function stuckThresholds(v: Parsed, own: ProviderSettings['stuckAfterSeconds']): Record<ProviderId, number> {
  return Object.fromEntries(
    PROVIDERS.map((provider) => [provider.id, own[provider.id] ?? v.STUCK_AFTER_SECONDS ?? provider.stuckAfter.defaultSeconds]),
  ) as Record<ProviderId, number>;
}

/** The shorthand destinations first, then each route; ids must be unique (they name queues). */
function destinations(v: Parsed, slack: SlackConfig | undefined, email: EmailConfig | undefined): DestinationConfig[] {
  const list: DestinationConfig[] = [];
  const seen = new Map<string, string>();
  const add = (destination: DestinationConfig, variable: string) => {
    const clash = seen.get(destination.id);
    if (clash) {
      throw new ConfigError(variable, `${destination.source.slice(variable.length).replace(/^\[(\d+)\]$/, 'route $1')}: the same destination as ${clash}; give it another "name" or merge the two`);
    }
    seen.set(destination.id, destination.source);
    list.push(destination);
  };
  if (slack) add(slack, 'SLACK_WEBHOOK_URL');
  if (email) add(email, 'EMAIL_TO');
  const slackUrls = new Map<string, string>(slack ? [[slack.webhookUrl, slack.source]] : []);
  parseSlackRoutes('SLACK_ROUTES', v.SLACK_ROUTES).forEach((route, index) => {
    const source = `SLACK_ROUTES[${index}]`;
    const sameUrl = slackUrls.get(route.url);
    // Two routes to one webhook would each take Slack's whole pace and be refused half the time.
    if (sameUrl) throw new ConfigError('SLACK_ROUTES', `route ${index}: the same webhook URL as ${sameUrl}; one destination per webhook (merge the filters)`);
    slackUrls.set(route.url, source);
    add(
      {
        kind: 'slack',
        id: route.name ? `slack-${route.name}` : derivedDestinationId('slack', route.url),
        source,
        webhookUrl: route.url,
        filter: route.filter,
        statuses: route.filter.statuses,
        maxPerSecond: v.SLACK_MAX_PER_SECOND,
        digestMax: v.SLACK_DIGEST_MAX,
      },
      'SLACK_ROUTES',
    );
  });
  const emailRoutes = parseEmailRoutes('EMAIL_ROUTES', v.EMAIL_ROUTES);
  if (emailRoutes.length > 0 && (v.SMTP_URL === undefined || v.EMAIL_FROM === undefined)) {
    throw new ConfigError(v.SMTP_URL === undefined ? 'SMTP_URL' : 'EMAIL_FROM', 'EMAIL_ROUTES sends over SMTP_URL from EMAIL_FROM: set both');
  }
  emailRoutes.forEach((route, index) => {
    add(
      {
        kind: 'email',
        id: route.name ? `email-${route.name}` : derivedDestinationId('email', [...route.to].sort().join(',')),
        source: `EMAIL_ROUTES[${index}]`,
        smtpUrl: v.SMTP_URL ?? '',
        from: v.EMAIL_FROM ?? '',
        to: route.to,
        filter: route.filter,
        statuses: route.filter.statuses,
        maxPerMinute: v.EMAIL_MAX_PER_MINUTE,
        digestMax: v.EMAIL_DIGEST_MAX,
      },
      'EMAIL_ROUTES',
    );
  });
  return list;
}

const isSet = (env: Env, name: string) => (env[name] ?? '').trim() !== '';

/**
 * One Redis (REDIS_URL), a Sentinel-managed primary (REDIS_SENTINELS, REDIS_SENTINEL_NAME) or a
 * Cluster (REDIS_CLUSTER_NODES): exactly one of them, each with only the variables that apply to it.
 */
function redisTopology(v: Parsed, env: Env): RedisTopology {
  const sentinels = v.REDIS_SENTINELS;
  const cluster = v.REDIS_CLUSTER_NODES;
  if (sentinels !== undefined && cluster !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'REDIS_SENTINELS is set too: a Redis is either Sentinel-managed or a cluster; set one of them');
  }
  const sentinelOnly = ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINEL_TLS'] as const;
  if (sentinels === undefined) {
    const stray = sentinelOnly.find((name) => isSet(env, name));
    if (stray) throw new ConfigError(stray, 'only applies with REDIS_SENTINELS');
  }
  const list = (name: 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES', value: string, defaultPort: number) => {
    const parsed = parseHostPorts(value, defaultPort);
    if (typeof parsed === 'string') throw new ConfigError(name, parsed);
    return parsed;
  };
  const auth: RedisAuth = { username: v.REDIS_USERNAME, password: v.REDIS_PASSWORD, tls: v.REDIS_TLS === 'true' };
  if (sentinels === undefined && cluster === undefined) {
    const stray = (['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS'] as const).find((name) => isSet(env, name));
    if (stray) {
      throw new ConfigError(stray, 'only applies with REDIS_SENTINELS or REDIS_CLUSTER_NODES; for one Redis put it in REDIS_URL (redis://user:password@host:6379, rediss:// for TLS)');
    }
    return { kind: 'single', url: v.REDIS_URL };
  }
  const other = sentinels !== undefined ? 'REDIS_SENTINELS' : 'REDIS_CLUSTER_NODES';
  if (isSet(env, 'REDIS_URL')) throw new ConfigError('REDIS_URL', `${other} is set too: leave REDIS_URL unset (the data password goes in REDIS_PASSWORD, TLS in REDIS_TLS)`);
  if (sentinels !== undefined) {
    if (v.REDIS_SENTINEL_NAME === undefined) throw new ConfigError('REDIS_SENTINEL_NAME', 'required with REDIS_SENTINELS: the name the sentinels monitor the primary by (`sentinel monitor <name> …`, often mymaster)');
    return {
      kind: 'sentinel',
      sentinels: list('REDIS_SENTINELS', sentinels, 26379),
      name: v.REDIS_SENTINEL_NAME,
      sentinelPassword: v.REDIS_SENTINEL_PASSWORD,
      sentinelTls: v.REDIS_SENTINEL_TLS === undefined ? auth.tls : v.REDIS_SENTINEL_TLS === 'true',
      auth,
    };
  }
  return { kind: 'cluster', nodes: list('REDIS_CLUSTER_NODES', cluster ?? '', 6379), auth };
}

export function loadConfig(env: Env = process.env): Config {
  const v = parseVariables(env);
  const providers = parseProviderSettings(env);

  const emailParts = { SMTP_URL: v.SMTP_URL, EMAIL_FROM: v.EMAIL_FROM, EMAIL_TO: v.EMAIL_TO };
  const setParts = Object.entries(emailParts).filter(([, value]) => value !== undefined);
  const routesOnly = v.EMAIL_TO === undefined && v.EMAIL_ROUTES !== undefined && v.SMTP_URL !== undefined && v.EMAIL_FROM !== undefined;
  if (setParts.length > 0 && setParts.length < 3 && !routesOnly) {
    const missing = Object.entries(emailParts).find(([, value]) => value === undefined)?.[0] ?? 'SMTP_URL';
    throw new ConfigError(missing, 'the email sink needs SMTP_URL, EMAIL_FROM and EMAIL_TO together');
  }
  if (v.DATABASE_SCHEMA !== undefined && v.DATABASE_URL === undefined) {
    throw new ConfigError('DATABASE_SCHEMA', 'only applies with DATABASE_URL');
  }

  if (v.SLACK_WEBHOOK_URL !== undefined) {
    const problem = slackUrlProblem(v.SLACK_WEBHOOK_URL);
    if (problem) throw new ConfigError('SLACK_WEBHOOK_URL', problem);
  }
  const slack: SlackConfig | undefined =
    v.SLACK_WEBHOOK_URL === undefined
      ? undefined
      : {
          kind: 'slack',
          id: 'slack',
          source: 'SLACK_WEBHOOK_URL',
          webhookUrl: v.SLACK_WEBHOOK_URL,
          filter: statusFilter(v.SLACK_STATUSES),
          statuses: statusSet(v.SLACK_STATUSES),
          maxPerSecond: v.SLACK_MAX_PER_SECOND,
          digestMax: v.SLACK_DIGEST_MAX,
        };
  const email: EmailConfig | undefined =
    v.SMTP_URL === undefined || v.EMAIL_FROM === undefined || v.EMAIL_TO === undefined
      ? undefined
      : {
          kind: 'email',
          id: 'email',
          source: 'EMAIL_TO',
          smtpUrl: v.SMTP_URL,
          from: v.EMAIL_FROM,
          to: v.EMAIL_TO,
          filter: statusFilter(v.EMAIL_STATUSES),
          statuses: statusSet(v.EMAIL_STATUSES),
          maxPerMinute: v.EMAIL_MAX_PER_MINUTE,
          digestMax: v.EMAIL_DIGEST_MAX,
        };

  const redis = redisTopology(v, env);
  if (v.REDIS_MIN_REPLICAS_ACK > 0 && v.REDIS_REPLICA_ACK_TIMEOUT_MS >= v.ENQUEUE_TIMEOUT_MS) {
    throw new ConfigError('REDIS_REPLICA_ACK_TIMEOUT_MS', `must be shorter than ENQUEUE_TIMEOUT_MS (${v.ENQUEUE_TIMEOUT_MS}), which bounds the write and the wait together`);
  }
  if (v.REDIS_MIN_REPLICAS_ACK === 0 && isSet(env, 'REDIS_REPLICA_ACK_TIMEOUT_MS')) {
    throw new ConfigError('REDIS_REPLICA_ACK_TIMEOUT_MS', 'only applies with REDIS_MIN_REPLICAS_ACK (1 or more)');
  }

  const config: Config = {
    port: v.PORT,
    host: v.HOST,
    redisUrl: v.REDIS_URL,
    redisUrlIsDefault: redis.kind === 'single' && !isSet(env, 'REDIS_URL'),
    redis,
    redisReplicaAck: v.REDIS_MIN_REPLICAS_ACK > 0 ? { replicas: v.REDIS_MIN_REPLICAS_ACK, timeoutMs: v.REDIS_REPLICA_ACK_TIMEOUT_MS } : undefined,
    dataDir: v.DATA_DIR,
    // Every key hookline writes starts with the prefix: on a cluster it must be a hash tag (one slot).
    queuePrefix: redis.kind === 'cluster' ? hashTaggedPrefix(v.QUEUE_PREFIX) : v.QUEUE_PREFIX,
    credentials: providers.credentials,
    toleranceSeconds: v.WEBHOOK_TOLERANCE_SECONDS,
    maxBodyBytes: v.MAX_BODY_BYTES,
    dedupWindowSeconds: v.DEDUP_WINDOW_SECONDS,
    providerDedupWindowSeconds: providers.dedupWindowSeconds,
    enqueueTimeoutMs: v.ENQUEUE_TIMEOUT_MS,
    spool: {
      enabled: v.SPOOL_ENABLED === undefined ? undefined : v.SPOOL_ENABLED === 'true',
      dir: v.SPOOL_DIR ?? join(v.DATA_DIR, 'spool'),
      maxBytes: v.SPOOL_MAX_BYTES,
    },
    workerLockDurationMs: v.WORKER_LOCK_DURATION_MS,
    workerStalledIntervalMs: v.WORKER_STALLED_INTERVAL_MS,
    database:
      v.DATABASE_URL === undefined
        ? { kind: 'embedded', dataDir: v.DATA_DIR }
        : { kind: 'postgres', url: v.DATABASE_URL, schema: v.DATABASE_SCHEMA },
    slack,
    email,
    destinations: destinations(v, slack, email),
    alerts: {
      publicUrl: v.PUBLIC_URL?.replace(/\/+$/, ''),
      stuckAfterSeconds: stuckThresholds(v, providers.stuckAfterSeconds),
      stuckCheckIntervalMs: v.STUCK_CHECK_INTERVAL_SECONDS * 1_000,
    },
    logLevel: v.LOG_LEVEL,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    workerConcurrency: v.WORKER_CONCURRENCY,
    adminToken: v.ADMIN_TOKEN,
    trustProxy: v.TRUST_PROXY ?? false,
  };
  return Object.freeze(config);
}
