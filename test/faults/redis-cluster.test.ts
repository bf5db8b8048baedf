import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createIngressRedis, waitForReplicas } from '../../src/shared/redis.ts';
import { keySlot } from '../../src/shared/redis-topology.ts';
import { HooklineProcess } from './support/hookline-process.ts';
import { buildLedger, leakedSecrets, printLedger, settle } from './support/ledger.ts';
import { LocalCluster } from './support/local-cluster.ts';
import { makeEvents, sendStream, sentCredentials } from './support/provider-stream.ts';
import { startScenario, type Scenario } from './support/scenario.ts';

/*
 * The whole pipeline on a three-master Redis Cluster (REDIS_CLUSTER_NODES): an ingress, a worker that
 * also serves /admin, PostgreSQL, the Slack and SMTP stand-ins. BullMQ's scripts touch several keys of
 * a queue at once, and a flow's of several queues: every key hookline writes must live in one slot,
 * which the hash-tagged prefix ({prefix}) gives. The audit at the end lists every key on every node.
 */

const databaseUrl = inject('databaseUrl');
const ADMIN_TOKEN = 'Cluster-Admin-Token-7Yq2Lm9Xw4Pz';
let cluster: LocalCluster;
let scenario: Scenario;
let ingress: HooklineProcess;
let worker: HooklineProcess;

beforeAll(async () => {
  if (!databaseUrl || !LocalCluster.available()) return;
  cluster = await new LocalCluster().start();
  scenario = await startScenario({ redisUrl: () => '', databaseUrl: () => databaseUrl });
  const env = scenario.env({ REDIS_CLUSTER_NODES: cluster.nodeList, EMAIL_MAX_PER_MINUTE: '600' });
  ingress = await new HooklineProcess('ingress').start(env);
  worker = await new HooklineProcess('worker').start({ ...env, ADMIN_TOKEN });
});
afterAll(async () => {
  await ingress?.stop('SIGKILL');
  await worker?.stop('SIGKILL');
  await scenario?.close();
  await cluster?.destroy();
});

it.skipIf(!databaseUrl || !LocalCluster.available())('a three-master Redis Cluster runs the whole pipeline: every event once, every key in one slot', async () => {
  const stream = await sendStream(makeEvents(150), () => ingress.baseUrl, { perSecond: 30 });
  const keys = stream.deliveries.flatMap((d) => (d.key ? [d.key] : []));
  await settle(keys, scenario.readers, { slack: 0, email: 0 }, 90_000);

  // The status page on the cluster: a refused login (the login limit's key), a login (a session), an event page.
  const refused = await fetch(`${worker.baseUrl}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: 'not-the-token' }), redirect: 'manual' });
  const login = await fetch(`${worker.baseUrl}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: 'manual' });
  const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
  const page = await fetch(`${worker.baseUrl}/admin/events/${encodeURIComponent(keys[0]!)}`, { headers: { cookie } });

  const perNode = await cluster.keysPerNode();
  const prefix = `{${scenario.prefix}}`;
  const all = [...perNode.values()].flat();
  const holders = [...perNode].filter(([, list]) => list.length > 0).map(([port]) => port);
  const untagged = all.filter((key) => !key.startsWith(`${prefix}:`));
  const kinds = [...new Set(all.map((key) => key.slice(prefix.length + 1).split(':')[0]))].sort();
  const ledger = await buildLedger('Redis Cluster, 3 masters: ingress, worker, /admin', stream, scenario.readers, { slack: 0, email: 0 },
    `${all.length} keys, all on node ${holders.join(',')} (slot ${keySlot(prefix)}), ${untagged.length} outside the tag; admin login ${refused.status}/${login.status}, event page ${page.status}`);
  printLedger(ledger);
  console.log(`[cluster] key kinds under ${prefix}: ${kinds.join(', ')}`);

  expect(ledger.answered2xx).toBe(ledger.sent);
  expect(ledger.lost).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(ledger.doubled).toEqual({ rows: 0, slack: 0, email: 0 });
  expect(untagged).toEqual([]);
  expect(holders).toHaveLength(1);
  expect(refused.status).toBe(401);
  expect(login.status).toBe(303);
  expect(page.status).toBe(200);
  // Not only BullMQ's: delivery records, the pacers, the admin session and the login limit are there too.
  for (const kind of ['ingest:', 'deliver-database:', 'delivered:', 'pace:', 'admin:session', 'admin:login-refused']) {
    expect(all.some((key) => key.startsWith(`${prefix}:${kind}`)), kind).toBe(true);
  }
  // REDIS_MIN_REPLICAS_ACK on a cluster: WAIT goes to the primary owning the tag's slot, on the
  // connection that wrote; with no replicas it counts none (so the ingress would answer 503).
  const connection = createIngressRedis({ kind: 'cluster', nodes: cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), auth: { username: undefined, password: undefined, tls: false } });
  try {
    await new Promise((resolve) => connection.once('ready', resolve));
    await connection.set(`${prefix}:wait-probe`, '1', 'PX', 10_000);
    expect(await waitForReplicas(connection, 1, 100, `${prefix}:ingest`)).toBe(0);
  } finally {
    connection.disconnect();
  }

  const lines = [...ingress.lines, ...worker.lines];
  expect(lines.filter((line) => /CROSSSLOT|MOVED|"level":50/.test(line))).toEqual([]);
  await ingress.stop('SIGTERM');
  expect((await worker.stop('SIGTERM')).code).toBe(0);
  expect(leakedSecrets(lines, [...scenario.secrets(), ...sentCredentials, ADMIN_TOKEN])).toEqual([]);
});
