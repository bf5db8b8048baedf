import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis, RedisOptions } from 'ioredis';
import { findExecutable, freePort, startRedisServer, type RedisServer } from '../../../src/shared/local-redis.ts';
import { probeOptions, withClient } from './one-shot-client.ts';
import { makeTestCertificates, tlsOnlyArgs, type TestCertificates } from './test-certs.ts';

export const SENTINEL_NAME = 'hookline-primary';

/**
 * A TCP hop between the replica and the primary that a test can stall: while stalled it forwards
 * nothing either way, so the primary keeps acknowledging writes that never reach the replica — what
 * a slow or partitioned replica link does. (SIGSTOPping the replica would not: on one machine the
 * kernel still takes the bytes into its socket buffer, and the replica reads them when continued.)
 */
export class StallableLink {
  stalled = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  /** `target` is asked for each new connection: a test may move it, as a DNS name moving to another node does. */
  async start(target: () => number): Promise<this> {
    this.port = await freePort();
    this.server = createServer((downstream) => {
      const upstream = new Socket();
      this.sockets.add(downstream).add(upstream);
      const end = () => {
        downstream.destroy();
        upstream.destroy();
        this.sockets.delete(downstream);
        this.sockets.delete(upstream);
      };
      for (const socket of [downstream, upstream]) {
        socket.on('error', end);
        socket.on('close', end);
      }
      downstream.on('data', (chunk) => !this.stalled && upstream.write(chunk));
      upstream.on('data', (chunk) => !this.stalled && downstream.write(chunk));
      upstream.connect(target(), '127.0.0.1');
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

type Node = { name: string; port: number; dir: string; args: string[]; server: RedisServer | undefined };

export type SentinelGroupOptions = {
  /**
   * TLS only, as a managed or hardened group runs: no plain port on any process; clients,
   * replication and the sentinels' own connections (to the data nodes and to each other) over TLS,
   * with a CA of the test's own (`caFile`).
   */
  tls?: boolean;
  /** `requirepass` and `masterauth` of the data nodes; the sentinels reach them with `sentinel auth-pass`. */
  password?: string;
  /** `requirepass` of the sentinels (each uses it for the others too). */
  sentinelPassword?: string;
};

/**
 * A Sentinel group of local processes on free ports: a primary, one replica (replicating through a
 * StallableLink), three sentinels with a quorum of two. Every process is started through
 * startRedisServer, so none outlives the test. Data nodes run as the README asks (AOF everysec,
 * noeviction); sentinels notice a dead primary after 1 s.
 */
export class SentinelGroup {
  readonly root = mkdtempSync(join(tmpdir(), 'hookline-faults-sentinel-'));
  readonly link = new StallableLink();
  primary!: Node;
  replica!: Node;
  sentinels: RedisServer[] = [];
  private readonly options: SentinelGroupOptions;
  private certificates: TestCertificates | undefined;

  constructor(options: SentinelGroupOptions = {}) {
    this.options = options;
  }

  static available(options: { tls?: boolean } = {}): boolean {
    return findExecutable('redis-server') !== undefined && (!options.tls || findExecutable('openssl') !== undefined);
  }

  /** The CA the group's certificates are signed by (with `tls`): NODE_EXTRA_CA_CERTS for hookline. */
  get caFile(): string {
    if (!this.certificates) throw new Error('the group runs without TLS');
    return this.certificates.caFile;
  }

  /** What the group's own clients connect with: TLS and the data or the sentinel password. */
  private clientOptions(port: number, password: string | undefined): RedisOptions {
    return probeOptions(port, { password, caPem: this.certificates?.caPem() });
  }

  /** A connection to a data node, with the group's TLS and password, closed after `use`. */
  async onNode<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
    return withClient(this.clientOptions(port, this.options.password), use);
  }


  get sentinelList(): string {
    return this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
  }

  private async startNode(node: Node): Promise<void> {
    node.server = await startRedisServer({ port: node.port, args: node.args, startTimeoutMs: 10_000 });
  }

  private dataNode(name: string, port: number, extra: string[] = []): Node {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const { password } = this.options;
    return {
      name,
      port,
      dir,
      server: undefined,
      args: [
        '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
        ...(password !== undefined ? ['--requirepass', password, '--masterauth', password] : []),
        ...(this.certificates ? tlsOnlyArgs(this.certificates, port) : []),
        ...extra,
      ],
    };
  }

  async start(): Promise<this> {
    if (this.options.tls) this.certificates = await makeTestCertificates(join(this.root, 'tls'));
    const primaryPort = await freePort();
    this.primary = this.dataNode('a', primaryPort);
    await this.startNode(this.primary);
    await this.link.start(() => primaryPort);
    this.replica = this.dataNode('b', await freePort(), ['--replicaof', '127.0.0.1', String(this.link.port)]);
    await this.startNode(this.replica);
    await this.waitForReplication();
    for (let i = 0; i < 3; i++) {
      const dir = join(this.root, `sentinel-${i}`);
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, 'sentinel.conf');
      const { password, sentinelPassword } = this.options;
      writeFileSync(
        conf,
        [
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
          ...(password !== undefined ? [`sentinel auth-pass ${SENTINEL_NAME} ${password}`] : []),
          ...(sentinelPassword !== undefined ? [`requirepass ${sentinelPassword}`] : []),
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          // Long: a sentinel "fixes" a replica that replicates from another address than the primary's
          // (ours goes through the StallableLink) once this long has passed; the promotion itself does not wait for it.
          `sentinel failover-timeout ${SENTINEL_NAME} 180000`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          `logfile ${join(dir, 'sentinel.log')}`,
          '',
        ].join('\n'),
      );
      // startRedisServer takes a binary: redis-server in sentinel mode needs its (writable) config
      // file first. Sentinel never logs "ready to accept connections", which startRedisServer waits
      // for besides the port answering: the wrapper says it, then execs (same pid, so the guard holds).
      const wrapper = join(dir, 'redis-sentinel.sh');
      writeFileSync(wrapper, `#!/bin/sh\necho "sentinel: ready to accept connections once the port answers"\nexec redis-server '${conf}' --sentinel "$@"\n`);
      chmodSync(wrapper, 0o755);
      // With TLS the sentinel's port is its tls-port; `tls-replication yes` makes it reach the data
      // nodes (and announce itself to the other sentinels) over TLS.
      const port = await freePort();
      const tls = this.certificates ? tlsOnlyArgs(this.certificates, port) : [];
      this.sentinels.push(await startRedisServer({ binary: wrapper, port, args: ['--dir', dir, ...tls], startTimeoutMs: 10_000 }));
    }
    await this.waitForSentinels();
    return this;
  }

  private async info(port: number, section: string): Promise<string> {
    return this.onNode(port, (client) => client.info(section)).catch(() => '');
  }

  /** Until the replica's link is up (and, when given, its offset caught up with the primary's). */
  async waitForReplication(replica: Node = this.replica, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (/master_link_status:up/.test(await this.info(replica.port, 'replication'))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`replica ${replica.port} did not sync`);
  }

  private async sentinelCall(...args: string[]): Promise<unknown[]> {
    return Promise.all(
      this.sentinels.map((sentinel) =>
        withClient(this.clientOptions(sentinel.port, this.options.sentinelPassword), (client) => client.call('SENTINEL', ...args)).catch(() => undefined),
      ),
    );
  }

  /** Until every sentinel knows the replica and the other sentinels. */
  private async waitForSentinels(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const masters = (await this.sentinelCall('master', SENTINEL_NAME)) as (string[] | undefined)[];
      const field = (reply: string[] | undefined, name: string) => Number(reply?.[reply.indexOf(name) + 1] ?? 0);
      if (masters.every((reply) => field(reply, 'num-slaves') >= 1 && field(reply, 'num-other-sentinels') >= 2)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the sentinels did not find each other and the replica in time');
  }

  /** For a failure message: what each sentinel names, each node's role and link, the sentinels' last log lines. */
  async describe(): Promise<string> {
    const named = (await this.sentinelCall('get-master-addr-by-name', SENTINEL_NAME)) as (string[] | undefined)[];
    const nodes = await Promise.all(
      [this.primary, this.replica].map(async (node) => {
        const info = await this.info(node.port, 'replication');
        const pick = (field: string) => new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
        return `node ${node.port}: ${info ? `role ${pick('role')}, master_port ${pick('master_port')}, link ${pick('master_link_status')}, connected_slaves ${pick('connected_slaves')}` : 'not answering'}`;
      }),
    );
    const logs = this.sentinels
      .map((_, i) => join(this.root, `sentinel-${i}`, 'sentinel.log'))
      .map((file, i) => `--- sentinel ${i}\n${existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-10).join('\n') : '(no log)'}`);
    return [`sentinels name: ${named.map((answer) => answer?.[1] ?? 'none').join(', ')}`, ...nodes, ...logs].join('\n');
  }

  /** The port every reachable sentinel names as the primary, once they agree. */
  async primaryPort(): Promise<number | undefined> {
    const answers = (await this.sentinelCall('get-master-addr-by-name', SENTINEL_NAME)) as (string[] | undefined)[];
    const ports = new Set(answers.filter(Boolean).map((answer) => Number(answer?.[1])));
    return ports.size === 1 ? [...ports][0] : undefined;
  }

  /** Kills the primary (SIGKILL) and resolves once the sentinels have promoted the replica: the time it took. */
  async killPrimaryAndAwaitFailover(timeoutMs = 30_000): Promise<number> {
    const started = Date.now();
    await this.primary.server?.kill('SIGKILL');
    while (Date.now() - started < timeoutMs) {
      if ((await this.primaryPort()) === this.replica.port && /role:master/.test(await this.info(this.replica.port, 'replication'))) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no failover within the timeout');
  }

  /**
   * `SENTINEL FAILOVER` (asked of one sentinel): the replica promoted, the primary demoted while it
   * stays up — a switchover, as an operator or a managed service does it. Resolves once every
   * sentinel names the other node and the old primary replicates from it: the ports and the time it took.
   */
  async switchover(timeoutMs = 30_000): Promise<{ from: number; to: number; ms: number }> {
    const from = await this.primaryPort();
    const to = [this.primary, this.replica].find((node) => node.port !== from);
    if (from === undefined || !to) throw new Error('the sentinels do not agree on a primary');
    const started = Date.now();
    await withClient(this.clientOptions(this.sentinels[0]!.port, this.options.sentinelPassword), (client) => client.call('SENTINEL', 'FAILOVER', SENTINEL_NAME));
    while (Date.now() - started < timeoutMs) {
      const info = await this.info(from, 'replication');
      if ((await this.primaryPort()) === to.port && /role:slave/.test(info) && /master_link_status:up/.test(info)) return { from, to: to.port, ms: Date.now() - started };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no switchover from ${from} to ${to.port} within ${timeoutMs / 1000} s`);
  }

  /**
   * Starts the killed primary again on its port and AOF; the sentinels make it a replica of the new
   * primary. That takes them a while: a sentinel reconfigures an instance that reports the wrong role
   * only after it has reported it for 8 s, and asks a replica for INFO every 10 s — 10–30 s here,
   * longer on a loaded machine. Resolves with the time it took.
   */
  async restartOldPrimary(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    await this.startNode(this.primary);
    let info = '';
    while (Date.now() - started < timeoutMs) {
      info = await this.info(this.primary.port, 'replication');
      if (/role:slave/.test(info) && /master_link_status:up/.test(info)) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 200));
    }
    const logs = this.sentinels
      .map((_, i) => join(this.root, `sentinel-${i}`, 'sentinel.log'))
      .map((file) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n') : '(no log)'));
    throw new Error(
      `the old primary did not rejoin as a replica within ${timeoutMs / 1000} s\n--- its replication info\n${info.trim()}\n` +
        logs.map((log, i) => `--- sentinel ${i}\n${log}`).join('\n'),
    );
  }

  async destroy(): Promise<void> {
    await Promise.allSettled(this.sentinels.map((sentinel) => sentinel.stop(2_000)));
    await Promise.allSettled([this.primary?.server?.kill(), this.replica?.server?.kill()]);
    await this.link.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}
