/**
 * The signature-amplification request of issue 12 (many `t=…,v1=…` sets on a large body) and a pool
 * of clients sending it in a loop. Used by test/ingress/signature-amplification.test.ts and by
 * bench/sections/signature-amplification.ts.
 *
 * The clients run in a worker thread, so their own work (writing megabytes per request) does not
 * share the event loop of the process that measures the signed requests' latency.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';

/** `count` sets with distinct fresh timestamps (now, now-1, …) and random signatures: none matches. */
export function hostileSignatureHeader(count: number, nowSeconds: number): string {
  return Array.from({ length: count }, (_, i) => `t=${nowSeconds - i},v1=${randomBytes(32).toString('hex')}`).join(' ');
}

/** A JSON body of exactly `bytes` bytes. */
export function paddedBody(bytes: number): Buffer {
  const shell = '{"pad":""}';
  return Buffer.from(`{"pad":"${'x'.repeat(Math.max(0, bytes - shell.length))}"}`);
}

export type HostileSpec = {
  url: string;
  /** e.g. /webhooks/persona */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  clients: number;
  /** Each client sends at most one request per this many ms (unset: as fast as it is answered). */
  intervalMs?: number;
};

export type HostileResult = {
  answered: number;
  statusCounts: Record<string, number>;
  errors: number;
  /** Answer time of each hostile request, ms. */
  p50Ms: number;
  maxMs: number;
  seconds: number;
};

export type HostileClients = {
  /** Stops the loops, waits for the requests in flight (at most `graceMs`), and reports. */
  stop(graceMs?: number): Promise<HostileResult>;
};

/** Plain JS run by the worker thread (eval: no TypeScript loader needed there). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, path, headers, clients, intervalMs } = workerData;
const body = Buffer.from(workerData.body);
const target = new URL(url);
const statusCounts = {};
const times = [];
let errors = 0;
let running = true;
const started = performance.now();
function once(agent) {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    const req = http.request(
      { host: target.hostname, port: target.port, method: 'POST', path, agent,
        headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          statusCounts[res.statusCode] = (statusCounts[res.statusCode] || 0) + 1;
          times.push(performance.now() - sentAt);
          resolve(true);
        });
        res.on('error', () => { errors++; resolve(false); });
      });
    req.on('error', () => { errors++; resolve(false); });
    req.end(body);
  });
}
async function loop(_, index) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  // Paced clients start spread over one interval, not all at once.
  if (intervalMs > 0) await new Promise((r) => setTimeout(r, (index * intervalMs) / clients));
  let next = performance.now();
  while (running) {
    const ok = await once(agent);
    if (!ok) await new Promise((r) => setTimeout(r, 20));
    if (intervalMs > 0) {
      next += intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  agent.destroy();
}
const loops = Array.from({ length: clients }, loop);
parentPort.on('message', async (message) => {
  if (message !== 'stop') return;
  running = false;
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const answered = times.length;
  parentPort.postMessage({ answered, statusCounts, errors, seconds,
    p50Ms: answered ? times[Math.ceil(answered / 2) - 1] : NaN, maxMs: answered ? times[answered - 1] : NaN });
});
parentPort.postMessage('ready');
`;

export async function startHostileClients(spec: HostileSpec): Promise<HostileClients> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { url: spec.url, path: spec.path, headers: spec.headers, clients: spec.clients, intervalMs: spec.intervalMs ?? 0, body: new Uint8Array(spec.body) },
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return {
    async stop(graceMs = 15_000) {
      const result = new Promise<HostileResult>((resolve, reject) => {
        worker.once('message', (message: HostileResult) => resolve(message));
        worker.once('error', reject);
      });
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hostile clients still busy ${graceMs} ms after stop`)), graceMs);
      });
      try {
        return await Promise.race([result, late]);
      } finally {
        clearTimeout(timer);
        await worker.terminate();
      }
    },
  };
}

/** One POST with node:http (keep-alive agent given), answered status and time in ms. */
export function timedPost(
  agent: Agent,
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<{ status: number; ms: number }> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const sentAt = performance.now();
    const req = request(
      { host: target.hostname, port: target.port, method: 'POST', path, agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - sentAt }));
        res.on('error', () => resolve({ status: 0, ms: performance.now() - sentAt }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - sentAt }));
    req.end(body);
  });
}

/**
 * Signed requests at a fixed rate (open loop: each at its own slot, whatever the answers do) for
 * `seconds`; `next(i)` builds the i-th request. Resolves with every answer.
 */
export async function pacedSigned(
  options: { url: string; ratePerSecond: number; seconds: number },
  next: (i: number) => { path: string; headers: Record<string, string>; body: string },
): Promise<Array<{ status: number; ms: number }>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const count = Math.round(options.ratePerSecond * options.seconds);
  const interval = 1000 / options.ratePerSecond;
  const start = performance.now();
  const answers: Array<Promise<{ status: number; ms: number }>> = [];
  for (let i = 0; i < count; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const { path, headers, body } = next(i);
    answers.push(timedPost(agent, options.url, path, headers, body));
  }
  const settled = await Promise.all(answers);
  agent.destroy();
  return settled;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
