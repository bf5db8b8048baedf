import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngress } from '../../src/ingress/start-ingress.ts';
import { ConfigError } from '../../src/shared/errors.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startRedisServer, type RedisServer } from '../../src/shared/local-redis.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { LogCapture, testConfig } from '../support/harness.ts';

/*
 * REDIS_MIN_REPLICAS_ACK checked against a real redis-server at start-up: one whose ACL user may not
 * run WAIT (as on managed services that restrict it), and one without replicas.
 */

const PASSWORD = 'replica-ack-check-pw-83kd';
let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer({
    args: ['--user', 'default', 'off', '--user', 'nowait', 'on', `>${PASSWORD}`, '~*', '&*', '+@all', '-wait', '--user', 'full', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
  });
});
afterAll(async () => {
  await server?.stop();
});

async function start(user: string) {
  const config = testConfig({ REDIS_URL: `redis://${user}:${PASSWORD}@127.0.0.1:${server.port}`, REDIS_MIN_REPLICAS_ACK: '1' });
  const logs = new LogCapture();
  const started = startIngress({ config, logger: createLogger('debug', logs), metrics: createMetrics({ defaultMetrics: false }) });
  return { started, logs };
}

describe('REDIS_MIN_REPLICAS_ACK at start-up', () => {
  it('stops the start with one message naming the variable when Redis refuses WAIT', async () => {
    const { started, logs } = await start('nowait');
    const error = await started.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('REDIS_MIN_REPLICAS_ACK');
    expect((error as Error).message).toMatch(/^REDIS_MIN_REPLICAS_ACK: is 1, but this Redis refuses WAIT \(NOPERM.*every webhook would be answered 503/);
    expect(logs.text).not.toContain(PASSWORD);
  });

  it('starts, warning that webhooks are answered 503, when the primary has fewer replicas than asked', async () => {
    const { started, logs } = await start('full');
    const ingress = await started;
    try {
      const warning = logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string; connected?: number }).find((line) => line.level === 40 && line.msg.includes('REDIS_MIN_REPLICAS_ACK'));
      expect(warning?.connected).toBe(0);
      expect(warning?.msg).toMatch(/has 0 replica\(s\) connected: webhooks are answered 503/);
      const answer = await fetch(`http://127.0.0.1:${ingress.port}/readyz`);
      expect(answer.status).toBe(200);
    } finally {
      await ingress.close();
    }
  });
});
