import { freePort, INSTALL_REDIS_HINT, isReachable, redisServerBinary, startRedisServer, stopChild } from '../shared/local-redis.ts';
import { NoRedisError } from '../shared/errors.ts';

export { freePort, isReachable, stopChild };

export type DemoRedis = { url: string; describe: string; stop(): Promise<void> };

/**
 * The Redis the demo uses: REDIS_URL when set, else one on 127.0.0.1:6379, else a private,
 * non-persistent redis-server on a free port when one is installed.
 */
export async function redisForDemo(env: Record<string, string | undefined>): Promise<DemoRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, describe: 'REDIS_URL', stop: async () => undefined };
  if (await isReachable('127.0.0.1', 6379)) return { url: 'redis://127.0.0.1:6379', describe: 'the local Redis', stop: async () => undefined };
  if (!redisServerBinary(env.PATH)) {
    throw new NoRedisError(`the demo needs Redis: none answers on 127.0.0.1:6379 and redis-server is not installed: ${INSTALL_REDIS_HINT}`);
  }
  const server = await startRedisServer({ path: env.PATH });
  return { url: server.url, describe: `a private redis-server (port ${server.port})`, stop: () => server.stop() };
}
