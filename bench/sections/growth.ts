import type { BenchContext, LoadRun } from '../lib/context.ts';
import { prefillIngest } from '../lib/prefill.ts';
import { summarize, type SideSummary } from './ingress-throughput.ts';
import { runPipeline, type PipelineRun } from './pipeline-throughput.ts';

export type Growth = {
  seconds: number;
  rounds: number;
  queueDepth: { waitingJobs: number; empty: SideSummary; waiting: SideSummary; ratio: number };
  bodySize: { smallBytes: number; bigBytes: number; small: SideSummary; big: SideSummary; ratio: number };
  workers: { events: number; one: PipelineRun; two: PipelineRun | undefined; ratio: number | undefined; note?: string };
};

/** How the figures move with the queue's depth, the body size and the number of worker processes. */
export async function growth(ctx: BenchContext): Promise<Growth> {
  const { waitingJobs, rounds, seconds, smallBodyBytes, bigBodyBytes, events } = ctx.settings.growth;
  const { backends } = ctx;
  const ingress = await ctx.ingressServer();
  ctx.log(`growth: warm-up ${ctx.settings.ingress.warmupSeconds} s`);
  await ctx.load(ingress, { seconds: ctx.settings.ingress.warmupSeconds });

  const empty: LoadRun[] = [];
  const waiting: LoadRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    await backends.flush();
    ctx.log(`growth: ingress on an empty queue (round ${round}/${rounds})`);
    empty.push(await ctx.load(ingress, { seconds }));
    await backends.flush();
    ctx.log(`growth: enqueueing ${waitingJobs} waiting jobs`);
    await prefillIngest(backends.admin, waitingJobs, ctx.tag());
    ctx.log(`growth: ingress with ${waitingJobs} jobs waiting (round ${round}/${rounds})`);
    waiting.push(await ctx.load(ingress, { seconds }));
  }

  const small: LoadRun[] = [];
  const big: LoadRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    await backends.flush();
    ctx.log(`growth: ingress with ${smallBodyBytes} B bodies (round ${round}/${rounds})`);
    small.push(await ctx.load(ingress, { seconds, bodyBytes: smallBodyBytes }));
    await backends.flush();
    ctx.log(`growth: ingress with ${bigBodyBytes} B bodies (round ${round}/${rounds})`);
    big.push(await ctx.load(ingress, { seconds, bodyBytes: bigBodyBytes }));
  }
  await backends.flush();

  const one = await runPipeline(ctx, 'database', events, 1);
  let two: PipelineRun | undefined;
  let note: string | undefined;
  if (backends.database.kind === 'embedded') note = 'the embedded database belongs to one process: 2 worker processes need PostgreSQL';
  else two = await runPipeline(ctx, 'database', events, 2);

  const emptySummary = summarize(empty);
  const waitingSummary = summarize(waiting);
  const smallSummary = summarize(small);
  const bigSummary = summarize(big);
  return {
    seconds,
    rounds,
    queueDepth: { waitingJobs, empty: emptySummary, waiting: waitingSummary, ratio: waitingSummary.requestsPerSecond / emptySummary.requestsPerSecond },
    bodySize: { smallBytes: smallBodyBytes, bigBytes: bigBodyBytes, small: smallSummary, big: bigSummary, ratio: bigSummary.requestsPerSecond / smallSummary.requestsPerSecond },
    workers: { events, one, two, ratio: two ? two.eventsPerSecond / one.eventsPerSecond : undefined, ...(note ? { note } : {}) },
  };
}
