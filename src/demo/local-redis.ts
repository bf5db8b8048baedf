import { spawn } from 'node:child_process';
import { freePort, isReachable, redisServerBinary, stopChild } from '../shared/local-redis.ts';

export { freePort, isReachable, stopChild };

export type DemoRedis = { url: string; describe: string; stop(): Promise<void> };

/**
 * The Redis the demo uses: REDIS_URL when set, else one on 127.0.0.1:6379, else a private,
 * non-persistent redis-server on a free port when one is installed.
 */
export async function redisForDemo(env: Record<string, string | undefined>): Promise<DemoRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, describe: 'REDIS_URL', stop: async () => undefined };
  if (await isReachable('127.0.0.1', 6379)) return { url: 'redis://127.0.0.1:6379', describe: 'the local Redis', stop: async () => undefined };
  const binary = redisServerBinary();
  if (!binary) {
    throw new Error('the demo needs Redis: none answers on 127.0.0.1:6379 and redis-server is not installed (e.g. apt-get install redis-server, brew install redis), or set REDIS_URL');
  }
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await isReachable('127.0.0.1', port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, describe: `a private redis-server (port ${port})`, stop: () => stopChild(child) };
}
