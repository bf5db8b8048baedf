import type { BenchContext, LoadRun } from '../lib/context.ts';
import { averageBodyBytes, generateRequests } from '../load/payloads.ts';
import { median } from '../lib/stats.ts';

export type SideSummary = {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Answers other than the expected one (202), over all rounds. */
  unexpected: Record<string, number>;
  /** Median cores used during the rounds by the server, Redis and the load generator. */
  cores: Record<string, number>;
  /** Median CPU time the server spent per request, in microseconds. */
  serverCpuMicrosPerRequest: number;
  rounds: LoadRun[];
};

export type IngressThroughput = {
  connections: number;
  averageBodyBytes: number;
  seconds: number;
  rounds: number;
  baseline: SideSummary;
  hookline: SideSummary;
  ratio: number;
  ingressPeakRssMB: number | undefined;
  ingressIdleRssMB: number | undefined;
};

export function summarize(rounds: LoadRun[]): SideSummary {
  const unexpected: Record<string, number> = {};
  for (const round of rounds) {
    for (const [code, count] of Object.entries(round.statusCounts)) if (code !== '202') unexpected[code] = (unexpected[code] ?? 0) + count;
    if (round.errors > 0) unexpected.errors = (unexpected.errors ?? 0) + round.errors;
  }
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    latencyP50Ms: median(rounds.map((r) => r.latencyP50Ms)),
    latencyP99Ms: median(rounds.map((r) => r.latencyP99Ms)),
    unexpected,
    cores: Object.fromEntries(
      Object.keys(rounds[0]?.cores ?? {}).map((name) => [name, median(rounds.map((r) => r.cores[name] ?? Number.NaN))]),
    ),
    serverCpuMicrosPerRequest: median(rounds.map((r) => ((r.cores.server ?? Number.NaN) * 1e6) / r.requestsPerSecond)),
    rounds,
  };
}

/**
 * (a) bare Express vs (b) hookline's ingress, interleaved A B A B with the same connections, payloads
 * and duration. Redis is emptied before every round, so each hookline round starts on an empty queue.
 */
export async function ingressThroughput(ctx: BenchContext): Promise<IngressThroughput> {
  const { rounds, seconds, warmupSeconds } = ctx.settings.ingress;
  const baseline = await ctx.baselineServer();
  const ingress = await ctx.ingressServer();
  ctx.log(`ingress throughput: warm-up ${warmupSeconds} s each`);
  await ctx.load(baseline, { seconds: warmupSeconds });
  await ctx.load(ingress, { seconds: warmupSeconds });

  const a: LoadRun[] = [];
  const b: LoadRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    await ctx.backends.flush();
    ctx.log(`ingress throughput: round ${round}/${rounds} baseline`);
    a.push(await ctx.load(baseline, { seconds }));
    await ctx.backends.flush();
    ctx.log(`ingress throughput: round ${round}/${rounds} hookline`);
    b.push(await ctx.load(ingress, { seconds }));
  }
  await ctx.backends.flush();
  const baselineSummary = summarize(a);
  const hooklineSummary = summarize(b);
  return {
    connections: ctx.settings.connections,
    averageBodyBytes: averageBodyBytes(generateRequests({ count: 1000, runTag: 'size' })),
    seconds,
    rounds,
    baseline: baselineSummary,
    hookline: hooklineSummary,
    ratio: hooklineSummary.requestsPerSecond / baselineSummary.requestsPerSecond,
    ingressPeakRssMB: maxOf(b.map((r) => r.serverPeakRssMB)),
    ingressIdleRssMB: ingress.idleRssMB,
  };
}

export function maxOf(values: ReadonlyArray<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}
