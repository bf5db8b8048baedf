import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';

export type DemoRedis = { url: string; describe: string; stop(): Promise<void> };

/**
 * The Redis the demo uses: REDIS_URL when set, else one on 127.0.0.1:6379, else a private,
 * non-persistent redis-server on a free port when one is installed.
 */
export async function redisForDemo(env: Record<string, string | undefined>): Promise<DemoRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, describe: 'REDIS_URL', stop: async () => undefined };
  if (await isReachable('127.0.0.1', 6379)) return { url: 'redis://127.0.0.1:6379', describe: 'the local Redis', stop: async () => undefined };
  const binary = (spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout ?? '').trim();
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

export function isReachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
