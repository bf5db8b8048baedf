import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis, RedisOptions } from 'ioredis';
import { findExecutable, freePort, startRedisServer, type RedisServer } from '../../../src/shared/local-redis.ts';
import { probeOptions, withClient } from './one-shot-client.ts';
import { makeTestCertificates, tlsOnlyArgs, type TestCertificates } from './test-certs.ts';

const run = promisify(execFile);

export type LocalClusterOptions = {
  masters?: number;
  /** Replicas per master. */
  replicas?: number;
  /** `requirepass` and `masterauth` of every node. */
  password?: string;
  /** TLS only (no plain port), for clients, the cluster bus and replication; a CA of the test's own. */
  tls?: boolean;
};

type Node = { port: number; dir: string; args: string[]; server: RedisServer | undefined };

/**
 * A local Redis Cluster: masters and, when asked, replicas, processes on free ports (each through
 * startRedisServer, so none outlives the test), made one cluster by `redis-cli --cluster create`.
 * Data nodes run as the README asks (AOF everysec, noeviction). With `tls`, a self-signed CA and
 * server certificate are made by openssl; clients trust it through `caFile` (NODE_EXTRA_CA_CERTS).
 */
export class LocalCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'hookline-faults-cluster-'));
  private readonly all: Node[] = [];
  private options: Required<Omit<LocalClusterOptions, 'password'>> & { password: string | undefined } = { masters: 3, replicas: 0, password: undefined, tls: false };

  static available(options: { tls?: boolean } = {}): boolean {
    return findExecutable('redis-server') !== undefined && findExecutable('redis-cli') !== undefined && (!options.tls || findExecutable('openssl') !== undefined);
  }

  /** The nodes as started (a killed one included). */
  get nodes(): { port: number }[] {
    return this.all;
  }

  get nodeList(): string {
    return this.all.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  get caFile(): string {
    return join(this.root, 'tls', 'ca.crt');
  }

  private certificates: TestCertificates | undefined;

  private nodeArgs(port: number, dir: string): string[] {
    const { password, tls } = this.options;
    return [
      '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '3000',
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
      ...(password ? ['--requirepass', password, '--masterauth', password] : []),
      ...(tls && this.certificates ? [...tlsOnlyArgs(this.certificates, port), '--tls-cluster', 'yes'] : []),
    ];
  }

  private cliArgs(): string[] {
    const { password, tls } = this.options;
    return [...(tls ? ['--tls', '--cacert', this.caFile] : []), ...(password ? ['--no-auth-warning', '-a', password] : [])];
  }

  async start(options: LocalClusterOptions = {}): Promise<this> {
    this.options = { ...this.options, ...options };
    if (this.options.tls) this.certificates = await makeTestCertificates(join(this.root, 'tls'));
    const count = this.options.masters * (1 + this.options.replicas);
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const dir = join(this.root, String(port));
      mkdirSync(dir, { recursive: true });
      const node: Node = { port, dir, args: this.nodeArgs(port, dir), server: undefined };
      node.server = await startRedisServer({ port, args: node.args, startTimeoutMs: 10_000 });
      this.all.push(node);
    }
    await run('redis-cli', [...this.cliArgs(), '--cluster', 'create', ...this.all.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', String(this.options.replicas), '--cluster-yes'], { timeout: 60_000 });
    await this.waitForState((infos) => infos.every((info) => /cluster_state:ok/.test(info)), 'the cluster did not reach cluster_state:ok');
    if (this.options.replicas > 0) await this.waitForReplicasInSync();
    return this;
  }

  private clientOptions(port: number): RedisOptions {
    const { password, tls } = this.options;
    return probeOptions(port, { password, caPem: tls ? this.certificates?.caPem() : undefined });
  }


  async onNode<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
    return withClient(this.clientOptions(port), use);
  }


  private running(): Node[] {
    return this.all.filter((node) => node.server?.running);
  }

  private async waitForState(done: (infos: string[]) => boolean, failure: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const infos = await Promise.all(this.running().map((node) => this.onNode(node.port, (client) => client.cluster('INFO')).then(String, () => '')));
      if (done(infos)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(failure);
  }

  /** Until every running replica's link to its master is up. */
  async waitForReplicasInSync(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const infos = await Promise.all(this.running().map((node) => this.onNode(node.port, (client) => client.info('replication')).catch(() => '')));
      const replicas = infos.filter((info) => /role:slave/.test(info));
      if (replicas.length > 0 && replicas.every((info) => /master_link_status:up/.test(info))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the replicas did not sync in time');
  }

  /** The port of the master serving `slot`, as the running nodes see it. */
  async masterOf(slot: number): Promise<number | undefined> {
    for (const node of this.running()) {
      const shards = await this.onNode(node.port, (client) => client.call('CLUSTER', 'SLOTS')).catch(() => undefined);
      if (!Array.isArray(shards)) continue;
      for (const shard of shards as [number, number, [string, number, ...unknown[]], ...unknown[]][]) {
        if (slot >= shard[0] && slot <= shard[1]) return Number(shard[2][1]);
      }
    }
    return undefined;
  }

  /**
   * SIGKILLs the master serving `slot` and resolves once the cluster is `ok` again with another node
   * serving the slot (its replica, promoted by the cluster's own failure detection): the old and new
   * ports and the time it took.
   */
  async killMasterOf(slot: number, timeoutMs = 60_000): Promise<{ killed: number; promoted: number; ms: number }> {
    const killed = await this.masterOf(slot);
    const node = this.all.find((each) => each.port === killed);
    if (!node) throw new Error(`no master serves slot ${slot}`);
    const started = Date.now();
    await node.server?.kill('SIGKILL');
    while (Date.now() - started < timeoutMs) {
      const promoted = await this.masterOf(slot);
      const infos = await Promise.all(this.running().map((each) => this.onNode(each.port, (client) => client.cluster('INFO')).then(String, () => '')));
      if (promoted !== undefined && promoted !== killed && infos.every((info) => /cluster_state:ok/.test(info))) return { killed: node.port, promoted, ms: Date.now() - started };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`slot ${slot} was not failed over within ${timeoutMs / 1000} s`);
  }

  /** Starts a killed node again on its port, config and AOF; the cluster makes it a replica. */
  async restart(port: number): Promise<void> {
    const node = this.all.find((each) => each.port === port);
    if (!node) throw new Error(`no node on ${port}`);
    node.server = await startRedisServer({ port, args: node.args, startTimeoutMs: 10_000 });
  }

  /** The role a node reports (`master`, `slave`). */
  async role(port: number): Promise<string> {
    const info = await this.onNode(port, (client) => client.info('replication'));
    return /role:(\w+)/.exec(info)?.[1] ?? 'unknown';
  }

  /** Every key on every running node (a test's few thousand: KEYS is fine here). */
  async keysPerNode(): Promise<Map<number, string[]>> {
    const result = new Map<number, string[]>();
    for (const node of this.running()) result.set(node.port, await this.onNode(node.port, (client) => client.keys('*')));
    return result;
  }

  async destroy(): Promise<void> {
    await Promise.allSettled(this.all.map((node) => node.server?.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}
