import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/shared/errors.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { redisServerBinary, startRedisServer, type RedisServer } from '../../src/shared/local-redis.ts';
import { createProbeRedis, credentialsRefusal, RedisOutageReporter } from '../../src/shared/redis.ts';
import type { RedisTopology } from '../../src/shared/redis-topology.ts';
import { LogCapture } from '../support/harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const sentinel = (over: Partial<Extract<RedisTopology, { kind: 'sentinel' }>> = {}): RedisTopology => ({
  kind: 'sentinel',
  sentinels: [{ host: '127.0.0.1', port: 26379 }],
  name: 'mymaster',
  sentinelPassword: 'sentinel-secret-value',
  sentinelTls: false,
  auth: { username: undefined, password: 'data-secret-value', tls: false },
  ...over,
});
const cluster: RedisTopology = { kind: 'cluster', nodes: [{ host: 'a', port: 7000 }], auth: { username: 'app', password: 'data-secret-value', tls: true } };
const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
const wrongPass = 'WRONGPASS invalid username-password pair or user is disabled.';
const allSentinels = (last: string) => new Error(`All sentinels are unreachable. Retrying from scratch after 200ms. Last error: ${last}`);

describe('credentialsRefusal: a refused password is a setting to fix, named', () => {
  it('the sentinels\' own password: REDIS_SENTINEL_PASSWORD', () => {
    const wrong = credentialsRefusal(allSentinels(wrongPass), sentinel());
    expect(wrong).toBeInstanceOf(ConfigError);
    expect(wrong?.variable).toBe('REDIS_SENTINEL_PASSWORD');
    expect(wrong?.message).toBe(`REDIS_SENTINEL_PASSWORD: the sentinels refused it (${wrongPass}): it must be their requirepass (the data nodes' password is REDIS_PASSWORD)`);
    const missing = credentialsRefusal(allSentinels('NOAUTH Authentication required.'), sentinel({ sentinelPassword: undefined }));
    expect(missing?.message).toBe('REDIS_SENTINEL_PASSWORD: the sentinels require a password (NOAUTH Authentication required.): set REDIS_SENTINEL_PASSWORD to their requirepass');
  });

  it('the data nodes\' password: REDIS_PASSWORD (with REDIS_USERNAME when set), for Sentinel and Cluster', () => {
    expect(credentialsRefusal(reply(wrongPass), sentinel())?.message).toBe(
      `REDIS_PASSWORD: the Redis primary the sentinels named refused REDIS_PASSWORD (${wrongPass}); the sentinels' own password is REDIS_SENTINEL_PASSWORD`,
    );
    expect(credentialsRefusal(new Error('Ready check failed: NOAUTH Authentication required.'), sentinel({ auth: { username: undefined, password: undefined, tls: false } }))?.message).toBe(
      'REDIS_PASSWORD: the Redis primary the sentinels named requires a password (NOAUTH Authentication required.): set REDIS_PASSWORD (and REDIS_USERNAME for an ACL user)',
    );
    const slots = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: reply(wrongPass) });
    expect(credentialsRefusal(slots, cluster)?.message).toBe(`REDIS_PASSWORD: the cluster's nodes refused REDIS_USERNAME and REDIS_PASSWORD (${wrongPass})`);
  });

  it('one Redis: REDIS_URL, without the URL\'s credentials in the message', () => {
    const url = 'redis://app:url-secret-value@redis.internal:6380/2';
    const refused = credentialsRefusal(reply(wrongPass), url);
    expect(refused?.variable).toBe('REDIS_URL');
    expect(refused?.message).toBe(`REDIS_URL: Redis at redis://redis.internal:6380/2 refused the user or password in REDIS_URL (${wrongPass})`);
    expect(credentialsRefusal(reply('ERR invalid password'), url)?.variable).toBe('REDIS_URL');
    expect(credentialsRefusal(reply('NOAUTH Authentication required.'), 'redis://redis.internal:6379')?.message).toMatch(/^REDIS_URL: Redis at redis:\/\/redis.internal:6379 requires a password/);
  });

  it('anything else is not a refusal', () => {
    const refusedConnection = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:26379'), { code: 'ECONNREFUSED' });
    expect(credentialsRefusal(refusedConnection, sentinel())).toBeUndefined();
    expect(credentialsRefusal(allSentinels('connect ECONNREFUSED 127.0.0.1:26379'), sentinel())).toBeUndefined();
    expect(credentialsRefusal(new Error('All sentinels are unreachable. Retrying from scratch after 200ms.'), sentinel())).toBeUndefined();
    expect(credentialsRefusal(reply("READONLY You can't write against a read only replica."), 'redis://127.0.0.1:6379')).toBeUndefined();
    expect(credentialsRefusal('WRONGPASS', 'redis://127.0.0.1:6379')).toBeUndefined();
  });
});

describe('RedisOutageReporter.credentialsRefused', () => {
  it('stops the start once, whatever the number of connections refused', () => {
    const stopped: string[] = [];
    const reporter = new RedisOutageReporter({ logger: createLogger('silent'), onRefusedAtStart: (error) => stopped.push(error.message) });
    const error = credentialsRefusal(reply(wrongPass), sentinel())!;
    reporter.credentialsRefused(error);
    reporter.credentialsRefused(error);
    expect(stopped).toEqual([error.message]);
  });

  it('once a connection was ready (a password rotated later), keeps going and says so once per window', () => {
    let now = 0;
    const logs = new LogCapture();
    const stopped: string[] = [];
    const reporter = new RedisOutageReporter({ logger: createLogger('info', logs), windowMs: 10_000, now: () => now, onRefusedAtStart: (error) => stopped.push(error.message) });
    reporter.connected('127.0.0.1:6379');
    const error = credentialsRefusal(reply(wrongPass), 'redis://:url-secret-value@127.0.0.1:6379')!;
    for (let i = 0; i < 5; i++) reporter.credentialsRefused(error);
    now = 10_000;
    reporter.credentialsRefused(error);
    expect(stopped).toEqual([]);
    const messages = logs.lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toBe(`redis refused hookline's credentials: ${error.message}; retrying in the background`);
    expect(logs.text).not.toContain('url-secret-value');
  });
});

describe('Sentinel TLS options', () => {
  it('REDIS_TLS is TLS to the data nodes, REDIS_SENTINEL_TLS to the sentinels, each on its own', () => {
    const dataOnly = createProbeRedis(sentinel({ auth: { username: undefined, password: undefined, tls: true }, sentinelTls: false }));
    const sentinelsOnly = createProbeRedis(sentinel({ sentinelTls: true }));
    try {
      // ioredis' enableTLSForSentinelMode is what makes the connection to the primary TLS.
      expect(dataOnly.options).toMatchObject({ enableTLSForSentinelMode: true, tls: {} });
      expect(dataOnly.options.sentinelTLS).toBeUndefined();
      expect(sentinelsOnly.options).toMatchObject({ sentinelTLS: {} });
      expect(sentinelsOnly.options.enableTLSForSentinelMode).toBeFalsy();
      expect(sentinelsOnly.options.tls).toBeUndefined();
    } finally {
      dataOnly.disconnect();
      sentinelsOnly.disconnect();
    }
  });
});

const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.kill()));
});

/** `node --import tsx src/main.ts <role>` to its exit: the code and every line it wrote. */
function run(role: string, env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: output.split('\n').filter(Boolean) });
    }),
  );
}

describe.skipIf(!redisServerBinary())('a process whose Redis refuses its password', () => {
  it('stops at start with one line naming REDIS_URL, and no password in it', async () => {
    const server = await startRedisServer({ args: ['--requirepass', 'the-right-password-123'] });
    servers.push(server);
    const { code, lines } = await run('ingress', { REDIS_URL: `redis://:the-wrong-password-456@127.0.0.1:${server.port}` });
    expect(code, lines.join('\n')).toBe(1);
    const naming = lines.filter((line) => line.includes('REDIS_URL'));
    expect(naming).toEqual([`hookline: invalid configuration: REDIS_URL: Redis at redis://127.0.0.1:${server.port} refused the user or password in REDIS_URL (${wrongPass})`]);
    expect(lines.join('\n')).not.toMatch(/the-wrong-password-456|the-right-password-123|unreachable/);
  }, 30_000);
});
