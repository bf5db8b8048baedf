/**
 * Where hookline's Redis is: one server (REDIS_URL), a Sentinel-managed primary (REDIS_SENTINELS +
 * REDIS_SENTINEL_NAME) or a Redis Cluster (REDIS_CLUSTER_NODES). Parsed once by the configuration;
 * every connection of every process part is made from it by src/shared/redis.ts.
 */

export type HostPort = { host: string; port: number };

/** The data nodes' credentials and TLS, for Sentinel and Cluster (REDIS_URL carries its own). */
export type RedisAuth = { username: string | undefined; password: string | undefined; tls: boolean };

export type RedisTopology =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: readonly HostPort[];
      /** The primary's name in the sentinels' configuration (`sentinel monitor <name> …`). */
      name: string;
      /** For the sentinels themselves (`requirepass` in sentinel.conf); the data password is `auth`. */
      sentinelPassword: string | undefined;
      sentinelTls: boolean;
      auth: RedisAuth;
    }
  | { kind: 'cluster'; nodes: readonly HostPort[]; auth: RedisAuth };

/** A REDIS_URL, or a topology: what connection makers take. */
export type RedisTarget = string | RedisTopology;

export function topologyOf(target: RedisTarget): RedisTopology {
  return typeof target === 'string' ? { kind: 'single', url: target } : target;
}

/**
 * `host:port,host:port`; IPv6 as `[::1]:26379`. Returns the list, or a message saying what is wrong
 * with which item (the caller names the variable).
 */
export function parseHostPorts(value: string, defaultPort: number): HostPort[] | string {
  const items = value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  if (items.length === 0) return 'expected a comma-separated list of host:port';
  const list: HostPort[] = [];
  for (const [index, item] of items.entries()) {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(item);
    const host = match?.[1] ?? match?.[2];
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!match || host === undefined || port < 1 || port > 65535) {
      // A URL pasted here may carry a password: only plain host-and-port-like text is echoed.
      const shown = /^[\w.:[\]-]*$/.test(item) ? JSON.stringify(item) : `item ${index + 1}`;
      return `expected host:port items separated by commas (${shown} is not one${/^\w+:\/\//.test(item) ? ': a list of host:port, not URLs' : ''})`;
    }
    list.push({ host, port });
  }
  return list;
}

/** For logs and error messages: never a password. */
export function describeTopology(target: RedisTarget): string {
  const topology = topologyOf(target);
  const list = (nodes: readonly HostPort[]) => nodes.map((node) => `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`).join(',');
  switch (topology.kind) {
    case 'single':
      try {
        const url = new URL(topology.url);
        // Host, port and database number: never the user or password.
        return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
      } catch {
        return '(REDIS_URL)';
      }
    case 'sentinel':
      return `sentinel ${topology.name} via ${list(topology.sentinels)}`;
    case 'cluster':
      return `cluster ${list(topology.nodes)}`;
  }
}

/**
 * Redis Cluster keeps a key where its hash tag (`{…}`) says; every key hookline writes starts with
 * the queue prefix, so a prefix that is a tag puts every queue, flow, dedup key, delivery record,
 * pacer slot and admin session in one slot (BullMQ's scripts touch several keys of a queue, and a
 * flow's of several queues, at once). `hookline` becomes `{hookline}`; `{hookline}` stays.
 */
export function hashTaggedPrefix(prefix: string): string {
  return /^\{[^{}]+\}$/.test(prefix) ? prefix : `{${prefix}}`;
}

/** The slot Redis Cluster gives `key` (CRC16/XMODEM of its hash tag, or of the key, mod 16384). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
