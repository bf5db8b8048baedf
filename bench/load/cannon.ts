/**
 * The closed-loop load generator (autocannon) in its own process. On 'cannon' it generates the whole
 * pool of signed, unique requests (not timed); on 'fire' it runs autocannon, every connection taking
 * the next request of the shared pool.
 */
import autocannon from 'autocannon';
import type { CannonResult, CannonSpec } from '../lib/messages.ts';
import { onParentMessage, reportFailure, sendToParent } from '../servers/child-ipc.ts';
import { generateRequests } from './payloads.ts';

type Prepared = { method: 'POST'; path: string; headers: Record<string, string>; body: Buffer };

let prepared: { spec: CannonSpec; pool: Prepared[]; generationMs: number } | undefined;

function prepare(spec: CannonSpec): void {
  const started = performance.now();
  const pool: Prepared[] = generateRequests({ count: spec.poolSize, runTag: spec.runTag, bodyBytes: spec.bodyBytes }).map((r) => ({
    method: 'POST',
    path: r.path,
    headers: r.headers,
    body: Buffer.from(r.body),
  }));
  prepared = { spec, pool, generationMs: performance.now() - started };
}

async function fire(): Promise<CannonResult> {
  if (!prepared) throw new Error('fire before cannon');
  const { spec, pool, generationMs } = prepared;
  prepared = undefined;
  let used = 0;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests: [
      {
        setupRequest: (request) => {
          const next = pool[used++ % pool.length] as Prepared;
          return { ...request, method: next.method, path: next.path, headers: next.headers, body: next.body };
        },
      },
    ],
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stats.count ?? 0;
  return {
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    durationSeconds: result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    poolSize: spec.poolSize,
    used,
    generationMs,
  };
}

onParentMessage(async (message) => {
  if (message.type === 'cannon') {
    prepare(message.spec);
    sendToParent({ type: 'cannonPrepared' });
  }
  if (message.type === 'fire') sendToParent({ type: 'cannonResult', result: await fire() });
  if (message.type === 'stop') process.exit(0);
});
try {
  sendToParent({ type: 'ready', port: null });
} catch (error) {
  reportFailure(error);
}
