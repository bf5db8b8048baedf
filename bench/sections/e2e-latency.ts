import { readPeaks, resetPeaks, type BenchContext } from '../lib/context.ts';
import { hooklineEnv } from '../lib/env.ts';
import type { MemoryPeaks, PacedResult } from '../lib/messages.ts';
import { measureCores } from '../lib/proc-cpu.ts';
import { percentile } from '../lib/stats.ts';

export type E2eLatency = {
  ratePerSecond: number;
  seconds: number;
  pollMs: number;
  warmupSeconds: number;
  sender: PacedResult;
  visible: number;
  missing: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median time one poll query took: the measurement's own resolution is pollMs plus this. */
  pollQueryMs: number;
  /** Cores used by each process during the measured run, and by the whole machine. */
  cores: Record<string, number>;
  ingressPeakRssMB: number | undefined;
  workerPeakRssMB: number | undefined;
  ingressMemory: MemoryPeaks | undefined;
  workerMemory: MemoryPeaks | undefined;
};

function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Open loop at a fixed rate against the running ingress with one worker process (database sink):
 * POST sent → row visible. The sender reports each event key with its send time; this process polls
 * the database for the keys still pending and stamps each row when the poll that first sees it returns
 * (an upper bound, late by at most one poll interval plus the query time).
 */
export async function e2eLatency(ctx: BenchContext): Promise<E2eLatency> {
  const { ratePerSecond, seconds, warmupSeconds, pollMs } = ctx.settings.e2e;
  const { backends } = ctx;
  await backends.flush();
  const ingress = await ctx.ingressServer();
  const db = backends.database.newTarget();
  const { child: worker } = await ctx.start('worker-e2e', 'servers/workers.ts', hooklineEnv({ redisUrl: backends.redisUrl, db }), true);
  worker.send({ type: 'go' });
  await worker.waitFor('started', 30_000);
  const probe = backends.database.probe(db, worker);
  const { child: sender } = await ctx.start('paced-sender', 'load/paced.ts', { ...process.env } as Record<string, string>);

  const run = async (durationSeconds: number) => {
    const pending = new Map<string, number>();
    const latencies: number[] = [];
    const queryMs: number[] = [];
    sender.subscribe('sent', (message) => pending.set(message.key, message.sentAt));
    let sending = true;
    sender.send({ type: 'paced', spec: { url: ingress.url, ratePerSecond, durationSeconds, runTag: ctx.tag() } });
    const senderResult = sender.waitFor('pacedResult', (durationSeconds + 120) * 1000).finally(() => {
      sending = false;
    });
    let drainUntil = Number.POSITIVE_INFINITY;
    for (;;) {
      if (!sending && drainUntil === Number.POSITIVE_INFINITY) drainUntil = performance.now() + 30_000;
      if (!sending && pending.size === 0) break;
      if (performance.now() > drainUntil) break;
      if (pending.size > 0) {
        const asked = performance.now();
        const seen = await probe.visible([...pending.keys()]);
        const at = epochMs();
        queryMs.push(performance.now() - asked);
        for (const key of seen) {
          const sentAt = pending.get(key);
          if (sentAt === undefined) continue;
          latencies.push(at - sentAt);
          pending.delete(key);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    const { result } = await senderResult;
    return { result, latencies, queryMs, missing: pending.size };
  };

  ctx.log(`end-to-end latency: warm-up, ${ratePerSecond} req/s for ${warmupSeconds} s (not recorded)`);
  await run(warmupSeconds);
  resetPeaks(ingress.child);
  resetPeaks(worker);
  ctx.log(`end-to-end latency: ${ratePerSecond} req/s for ${seconds} s`);
  const measured = await measureCores(
    { ingress: ingress.child.pid, worker: worker.pid, redis: backends.redisPid, sender: sender.pid, orchestrator: process.pid },
    () => run(seconds),
  );
  const { result, latencies, queryMs, missing } = measured.value;
  const ingressPeak = await readPeaks(ingress.child);
  const workerPeak = await readPeaks(worker);
  await ctx.stop(sender);
  await ctx.stop(worker);
  await backends.flush();
  return {
    ratePerSecond,
    seconds,
    pollMs,
    sender: result,
    warmupSeconds,
    visible: latencies.length,
    missing,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
    pollQueryMs: percentile(queryMs, 50),
    cores: measured.cores,
    ingressPeakRssMB: ingressPeak.peakRssMB,
    workerPeakRssMB: workerPeak.peakRssMB,
    ingressMemory: ingressPeak.breakdown,
    workerMemory: workerPeak.breakdown,
  };
}
