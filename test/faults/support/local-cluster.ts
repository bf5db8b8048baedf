import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { findExecutable, freePort, startRedisServer, type RedisServer } from '../../../src/shared/local-redis.ts';

const run = promisify(execFile);

/**
 * A Redis Cluster of three masters and no replicas, local processes on free ports (each through
 * startRedisServer, so none outlives the test), made one cluster by `redis-cli --cluster create`.
 */
export class LocalCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'hookline-faults-cluster-'));
  nodes: RedisServer[] = [];

  static available(): boolean {
    return findExecutable('redis-server') !== undefined && findExecutable('redis-cli') !== undefined;
  }

  get nodeList(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  async start(count = 3): Promise<this> {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const dir = join(this.root, String(port));
      mkdirSync(dir, { recursive: true });
      this.nodes.push(
        await startRedisServer({
          port,
          args: ['--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '3000',
            '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'],
          startTimeoutMs: 10_000,
        }),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...this.nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const states = await Promise.all(this.nodes.map((node) => this.onNode(node.port, (client) => client.cluster('INFO'))));
      if (states.every((info) => /cluster_state:ok/.test(String(info)))) return this;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the cluster did not reach cluster_state:ok');
  }

  async onNode<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await use(client);
    } finally {
      client.disconnect();
    }
  }

  /** Every key on every node (a test's few thousand: KEYS is fine here). */
  async keysPerNode(): Promise<Map<number, string[]>> {
    const result = new Map<number, string[]>();
    for (const node of this.nodes) result.set(node.port, await this.onNode(node.port, (client) => client.keys('*')));
    return result;
  }

  async destroy(): Promise<void> {
    await Promise.allSettled(this.nodes.map((node) => node.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}
