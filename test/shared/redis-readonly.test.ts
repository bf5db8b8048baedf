import { FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createQueueEventStore } from '../../src/ingress/event-store.ts';
import { QueueUnavailableError } from '../../src/shared/errors.ts';
import { redisServerBinary, startRedisServer, type RedisServer } from '../../src/shared/local-redis.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createIngressRedis, createWorkerRedis } from '../../src/shared/redis.ts';

/*
 * A primary demoted while hookline is connected (REPLICAOF: a managed service's switchover, an
 * operator) answers writes with READONLY. Here hookline's connections are made to a replica, which
 * answers the same, and the replica is promoted (REPLICAOF NO ONE) where a test needs the retry to
 * land on a primary.
 */

const servers: RedisServer[] = [];
const connections: Redis[] = [];
let primary: RedisServer;
let replica: RedisServer;
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);

afterAll(async () => {
  process.off('warning', onWarning);
  for (const connection of connections) connection.disconnect();
  await Promise.allSettled(servers.map((server) => server.kill()));
});

async function admin<T>(server: RedisServer, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true });
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

const role = (server: RedisServer) => admin(server, (client) => client.info('replication')).then((info) => /role:(\w+)/.exec(info)?.[1]);

/** A fresh replica of `primary`, in sync. */
async function freshReplica(): Promise<RedisServer> {
  const server = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  servers.push(server);
  for (let i = 0; i < 100; i++) {
    if (/master_link_status:up/.test(await admin(server, (client) => client.info('replication')))) return server;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the replica did not sync');
}

function track<T extends Redis>(connection: T): T {
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}

const ready = (connection: Redis) => new Promise((resolve) => (connection.status === 'ready' ? resolve(undefined) : connection.once('ready', resolve)));

describe.skipIf(!redisServerBinary())('READONLY from a demoted primary', () => {
  beforeEach(async () => {
    process.on('warning', onWarning);
    primary ??= await startRedisServer();
    if (!servers.includes(primary)) servers.push(primary);
    replica = await freshReplica();
  });

  it('a worker connection reconnects and re-sends a plain write until a primary takes it', async () => {
    const connection = track(createWorkerRedis(replica.url));
    await ready(connection);
    let reconnects = 0;
    connection.on('reconnecting', () => reconnects++);
    const write = connection.set('readonly:plain', 'v');
    await new Promise((r) => setTimeout(r, 600));
    await admin(replica, (client) => client.call('REPLICAOF', 'NO', 'ONE'));
    expect(await write).toBe('OK');
    expect(reconnects).toBeGreaterThan(0);
    expect(await admin(replica, (client) => client.get('readonly:plain'))).toBe('v');
  });

  it('a transaction whose scripts meet READONLY inside EXEC fails (and reconnects) instead of resolving with the errors inside', async () => {
    const connection = track(createWorkerRedis(replica.url));
    await ready(connection);
    let reconnects = 0;
    connection.on('reconnecting', () => reconnects++);
    const outcome = await connection
      .multi()
      .eval("return redis.call('set', KEYS[1], 'v')", 1, 'readonly:script')
      .exec()
      .then((results) => ({ results }), (error: unknown) => ({ error }));
    expect(outcome).toMatchObject({ error: { message: expect.stringMatching(/^READONLY /) } });
    await new Promise((r) => setTimeout(r, 300));
    expect(reconnects).toBeGreaterThan(0);
  });

  it('any other error inside EXEC fails the transaction too (an OOM would lose a fan-out as silently)', async () => {
    const connection = track(createWorkerRedis(primary.url));
    await ready(connection);
    const outcome = await connection
      .multi()
      .set('exec:ok', '1')
      .eval("return redis.error_reply('OOM command not allowed when used memory > maxmemory')", 0)
      .exec()
      .then((results) => ({ results }), (error: unknown) => ({ error }));
    expect(outcome).toMatchObject({ error: { message: 'OOM command not allowed when used memory > maxmemory' } });
  });

  it('NOREPLICAS (a primary whose replica was just promoted, with min-replicas-to-write) reconnects and re-sends like READONLY', async () => {
    const connection = track(createWorkerRedis(replica.url));
    await ready(connection);
    await admin(replica, (client) => client.call('REPLICAOF', 'NO', 'ONE'));
    await admin(replica, (client) => client.config('SET', 'min-replicas-to-write', '1'));
    let reconnects = 0;
    connection.on('reconnecting', () => reconnects++);
    const write = connection.set('noreplicas:plain', 'v');
    await new Promise((r) => setTimeout(r, 600));
    await admin(replica, (client) => client.config('SET', 'min-replicas-to-write', '0'));
    expect(await write).toBe('OK');
    expect(reconnects).toBeGreaterThan(0);
  });

  it('BullMQ\'s FlowProducer.addBulk (hookline\'s fan-out) on a demoted primary rejects: the job fails and runs again rather than lose its deliveries', async () => {
    const connection = track(createWorkerRedis(replica.url));
    const flow = new FlowProducer({ connection, prefix: 'readonly-flow' });
    try {
      const added = await flow.addBulk([{ name: 'alert', queueName: 'deliver-slack', data: {}, opts: { jobId: 'e1-slack' } }]).then(() => 'added', (error: unknown) => error);
      expect(added).toMatchObject({ message: expect.stringMatching(/^READONLY /) });
    } finally {
      await flow.close();
    }
  });

  it('a command queued in MULTI is not re-sent alone once the connection lands on a primary', async () => {
    const connection = track(createWorkerRedis(replica.url));
    await ready(connection);
    // SET is refused when queued, not inside EXEC: reconnectOnError's 2 re-sends it, and ioredis must
    // abort that fragment with the connection rather than run it alone after the reconnect.
    const failed = await connection.multi().set('readonly:queued', 'v').exec().then(() => undefined, (error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    await admin(replica, (client) => client.call('REPLICAOF', 'NO', 'ONE'));
    await ready(connection);
    await new Promise((r) => setTimeout(r, 500));
    expect(await role(replica)).toBe('master');
    expect(await admin(replica, (client) => client.get('readonly:queued'))).toBeNull();
  });

  it('the ingress never takes an event a replica refused: QueueUnavailableError (503, or the spool)', async () => {
    const connection = track(createIngressRedis(replica.url));
    await ready(connection);
    const store = createQueueEventStore({ redis: connection, prefix: 'readonly-ingest', timeoutMs: 2_000, logger: createLogger('silent'), dedupWindowMs: () => 60_000 });
    try {
      const event = { provider: 'reachfive' as const, key: 'reachfive:ro-1', receivedAt: new Date().toISOString(), body: '{"id":"ro-1"}', headers: {} };
      const refused = await store.store(event).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(QueueUnavailableError);
      expect(String((refused as QueueUnavailableError).cause)).toMatch(/READONLY/);
      expect(await admin(replica, (client) => client.keys('readonly-ingest:*'))).toEqual([]);
    } finally {
      await store.close().catch(() => undefined);
    }
  });

  it('a burst of READONLY replies on one socket leaves it once (no listener-leak warning)', async () => {
    const connection = track(createWorkerRedis(replica.url));
    await ready(connection);
    const writes = Array.from({ length: 30 }, (_, i) => connection.set(`readonly:burst:${i}`, 'v'));
    await new Promise((r) => setTimeout(r, 500));
    await admin(replica, (client) => client.call('REPLICAOF', 'NO', 'ONE'));
    expect(await Promise.all(writes)).toEqual(writes.map(() => 'OK'));
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
