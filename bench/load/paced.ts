/**
 * The open-loop sender for the end-to-end latency: a fixed offered rate, each request sent at its own
 * slot whatever the answers do (no coordinated omission). Slots are computed from the start time, so
 * timer drift never accumulates; a slot already past is sent at once. It tells the orchestrator each
 * event key and its send time as it goes, so the orchestrator can watch for the row.
 */
import { Agent, request } from 'node:http';
import type { PacedResult, PacedSpec } from '../lib/messages.ts';
import { percentile } from '../lib/stats.ts';
import { onParentMessage, reportFailure, sendToParent } from '../servers/child-ipc.ts';
import { generateRequests, type BenchRequest } from './payloads.ts';

const LATE_MS = 5;

function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

async function run(spec: PacedSpec): Promise<PacedResult> {
  const count = Math.round(spec.ratePerSecond * spec.durationSeconds);
  const requests = generateRequests({ count, runTag: spec.runTag });
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const statusCounts: Record<string, number> = {};
  const responseMs: number[] = [];
  let errors = 0;
  let lateSends = 0;
  let finished = 0;
  sendToParent({ type: 'pacedReady' });

  return new Promise<PacedResult>((resolve) => {
    const intervalMs = 1000 / spec.ratePerSecond;
    const start = performance.now() + 20;
    let next = 0;

    const done = () => {
      if (++finished < count) return;
      agent.destroy();
      resolve({
        sent: count,
        durationSeconds: (performance.now() - start) / 1000,
        statusCounts,
        errors,
        lateSends,
        responseP50Ms: percentile(responseMs, 50),
        responseP99Ms: percentile(responseMs, 99),
      });
    };

    const send = (item: BenchRequest) => {
      const sentAt = epochMs();
      sendToParent({ type: 'sent', key: item.key, sentAt });
      const req = request(
        { host: target.hostname, port: target.port, method: 'POST', path: item.path, headers: item.headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            statusCounts[String(res.statusCode)] = (statusCounts[String(res.statusCode)] ?? 0) + 1;
            responseMs.push(epochMs() - sentAt);
            done();
          });
        },
      );
      req.on('error', () => {
        errors++;
        done();
      });
      req.end(item.body);
    };

    const tick = () => {
      const now = performance.now();
      while (next < count && start + next * intervalMs <= now) {
        if (now - (start + next * intervalMs) > LATE_MS) lateSends++;
        send(requests[next] as BenchRequest);
        next++;
      }
      if (next < count) setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}

onParentMessage(async (message) => {
  if (message.type === 'paced') sendToParent({ type: 'pacedResult', result: await run(message.spec) });
  if (message.type === 'stop') process.exit(0);
});
try {
  sendToParent({ type: 'ready', port: null });
} catch (error) {
  reportFailure(error);
}
