import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { hashTaggedPrefix, keySlot, parseHostPorts } from '../../src/shared/redis-topology.ts';

const fails = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('Redis topology variables', () => {
  it('one Redis by default, as before', () => {
    const config = loadConfig({});
    expect(config.redis).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    expect(config.redisUrlIsDefault).toBe(true);
    expect(config.redisReplicaAck).toBeUndefined();
    expect(config.queuePrefix).toBe('hookline');
  });

  it('Sentinel: the sentinels, the name, the passwords, TLS', () => {
    const config = loadConfig({
      REDIS_SENTINELS: 's1:26379, s2 ,[::1]:26380',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_PASSWORD: 'data-secret',
      REDIS_TLS: 'true',
      REDIS_MIN_REPLICAS_ACK: '1',
    });
    expect(config.redis).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'mymaster',
      sentinelPassword: 'sentinel-secret',
      sentinelTls: true,
      auth: { username: undefined, password: 'data-secret', tls: true },
    });
    expect(config.redisUrlIsDefault).toBe(false);
    expect(config.redisReplicaAck).toEqual({ replicas: 1, timeoutMs: 500 });
    expect(config.queuePrefix).toBe('hookline');
  });

  it('Cluster: the seed nodes, and the prefix becomes a hash tag', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', QUEUE_PREFIX: 'acme' });
    expect(config.redis).toMatchObject({ kind: 'cluster', nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }] });
    expect(config.queuePrefix).toBe('{acme}');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a', QUEUE_PREFIX: '{acme}' }).queuePrefix).toBe('{acme}');
    expect(loadConfig({ QUEUE_PREFIX: '{acme}' }).queuePrefix).toBe('{acme}');
  });

  it('one clear message naming the variable', () => {
    expect(fails({ REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2' })).toMatch(/^REDIS_CLUSTER_NODES: REDIS_SENTINELS is set too/);
    expect(fails({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://x:6379' })).toMatch(/^REDIS_URL: REDIS_SENTINELS is set too/);
    expect(fails({ REDIS_SENTINELS: 'a:1' })).toMatch(/^REDIS_SENTINEL_NAME: required with REDIS_SENTINELS/);
    expect(fails({ REDIS_SENTINELS: 'a:1,b:port', REDIS_SENTINEL_NAME: 'm' })).toBe('REDIS_SENTINELS: expected host:port items separated by commas ("b:port" is not one)');
    expect(fails({ REDIS_CLUSTER_NODES: 'a:99999' })).toMatch(/^REDIS_CLUSTER_NODES: expected host:port/);
    expect(fails({ REDIS_SENTINEL_NAME: 'm' })).toBe('REDIS_SENTINEL_NAME: only applies with REDIS_SENTINELS');
    expect(fails({ REDIS_PASSWORD: 'x' })).toMatch(/^REDIS_PASSWORD: only applies with REDIS_SENTINELS or REDIS_CLUSTER_NODES; for one Redis put it in REDIS_URL/);
    expect(fails({ REDIS_MIN_REPLICAS_ACK: '1', REDIS_REPLICA_ACK_TIMEOUT_MS: '2000' })).toMatch(/^REDIS_REPLICA_ACK_TIMEOUT_MS: must be shorter than ENQUEUE_TIMEOUT_MS/);
    expect(fails({ REDIS_REPLICA_ACK_TIMEOUT_MS: '200' })).toMatch(/^REDIS_REPLICA_ACK_TIMEOUT_MS: only applies with REDIS_MIN_REPLICAS_ACK/);
    expect(fails({ REDIS_MIN_REPLICAS_ACK: 'one' })).toMatch(/^REDIS_MIN_REPLICAS_ACK: expected a whole number/);
    expect(fails({ QUEUE_PREFIX: '{a' })).toMatch(/^QUEUE_PREFIX:/);
  });

  it('never echoes a password in an error', () => {
    expect(fails({ REDIS_SENTINELS: 'redis://:hunter2@a:26379', REDIS_SENTINEL_NAME: 'm' })).toBe(
      'REDIS_SENTINELS: expected host:port items separated by commas (item 1 is not one: a list of host:port, not URLs)',
    );
  });
});

describe('hash slots', () => {
  it('computes Redis Cluster slots (CRC16 of the hash tag)', () => {
    // Values from `redis-cli cluster keyslot`.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{hookline}:ingest:wait')).toBe(keySlot('hookline'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
  });

  it('parses host:port lists', () => {
    expect(parseHostPorts('h', 6379)).toEqual([{ host: 'h', port: 6379 }]);
    expect(typeof parseHostPorts(' , ', 6379)).toBe('string');
    expect(hashTaggedPrefix('hookline')).toBe('{hookline}');
  });
});
