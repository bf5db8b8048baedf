import { Queue } from 'bullmq';
import type { BenchChild } from '../lib/child.ts';
import { readPeaks, type BenchContext } from '../lib/context.ts';
import type { MemoryPeaks } from '../lib/messages.ts';
import { hooklineEnv, QUEUE_PREFIX, type DbTarget } from '../lib/env.ts';
import { prefillIngest } from '../lib/prefill.ts';
import { measureCores } from '../lib/proc-cpu.ts';
import { rssMB } from '../lib/proc-memory.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { INGEST_QUEUE } from '../../src/queue/contract.ts';

export type PipelineKind = 'noop' | 'database' | 'all-sinks';

export type PipelineRun = {
  kind: PipelineKind;
  events: number;
  workerProcesses: number;
  /** From 'go' to the last event done (all rows in the database; every sink, for all-sinks). */
  seconds: number;
  eventsPerSecond: number;
  /** all-sinks: when each sink had every event. */
  sinkSeconds?: Record<string, number>;
  complete: boolean;
  done: number;
  workerPeakRssMB: number[];
  /** Peaks of each worker's memoryUsage(): heap vs outside it. */
  workerMemory: Array<MemoryPeaks | undefined>;
  workerIdleRssMB: number[];
  cores: Record<string, number>;
};

const POLL_MS = 25;

async function startWorkerProcesses(ctx: BenchContext, kind: PipelineKind, count: number, db: DbTarget | undefined, sinks?: { slackUrl: string; smtpUrl: string }): Promise<BenchChild[]> {
  const children: BenchChild[] = [];
  // One after the other: the first runs the migrations, the next finds them done.
  for (let i = 0; i < count; i++) {
    const env = hooklineEnv({ redisUrl: ctx.backends.redisUrl, baseline: kind === 'noop', ...(db ? { db } : {}), ...(sinks ? { sinks } : {}) });
    const script = kind === 'noop' ? 'servers/noop-worker.ts' : 'servers/workers.ts';
    const { child } = await ctx.start(`${kind === 'noop' ? 'noop-worker' : 'worker'}-${i + 1}`, script, env, kind !== 'noop');
    children.push(child);
  }
  return children;
}

/**
 * N events already in the ingest queue (stored as the ingress stores them), then the worker
 * processes are told to start; timed until every event is done.
 */
export async function runPipeline(ctx: BenchContext, kind: PipelineKind, events: number, workerProcesses = 1): Promise<PipelineRun> {
  const { backends } = ctx;
  await backends.flush();
  ctx.log(`pipeline ${kind}, ${workerProcesses} worker process(es): enqueueing ${events} events`);
  await prefillIngest(backends.admin, events, ctx.tag());

  const db = kind === 'noop' ? undefined : backends.database.newTarget();
  const standIns = kind === 'all-sinks' ? await ctx.start('stand-ins', 'servers/sink-stand-ins.ts', { ...process.env } as Record<string, string>) : undefined;
  const sinks = standIns?.slackUrl && standIns.smtpUrl ? { slackUrl: standIns.slackUrl, smtpUrl: standIns.smtpUrl } : undefined;
  const workers = await startWorkerProcesses(ctx, kind, workerProcesses, db, sinks);
  const idle = workers.map((w) => rssMB(w.pid) ?? Number.NaN);
  const probe = db && workers[0] ? backends.database.probe(db, workers[0]) : undefined;
  const queue = new Queue(INGEST_QUEUE, { connection: backends.admin, prefix: QUEUE_PREFIX });

  const deadlineMs = Math.max(120_000, events * 15);
  const sinkSeconds: Record<string, number> = {};
  let done = 0;
  let complete = false;
  let finishedAt = 0;
  ctx.log(`pipeline ${kind}: processing`);
  const pids: Record<string, number | undefined> = { redis: backends.redisPid };
  workers.forEach((w, i) => (pids[`worker${workers.length > 1 ? i + 1 : ''}`] = w.pid));
  if (standIns) pids['stand-ins'] = standIns.child.pid;

  const started = performance.now();
  const { cores } = await measureCores(pids, async () => {
    for (const worker of workers) worker.send({ type: 'go' });
    await Promise.all(workers.map((worker) => worker.waitFor('started', 30_000)));
    const counts: Record<string, number> = {};
    while (performance.now() - started < deadlineMs) {
      const elapsed = (performance.now() - started) / 1000;
      if (kind === 'noop') counts.queue = await queue.getCompletedCount();
      else if ((counts.database ?? 0) < events) counts.database = (await probe?.count()) ?? 0;
      if (standIns) {
        standIns.child.send({ type: 'getCounts' });
        const answer = await standIns.child.waitFor('counts', 10_000);
        counts.slack = answer.slack;
        counts.email = answer.email;
      }
      for (const [sink, count] of Object.entries(counts)) if (count >= events) sinkSeconds[sink] ??= elapsed;
      done = Math.min(...Object.values(counts));
      if (done >= events) {
        complete = true;
        finishedAt = elapsed;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  });
  // Detected at a poll: up to POLL_MS (plus the poll's own time) late.
  const seconds = complete ? finishedAt : (performance.now() - started) / 1000;
  const memory = await Promise.all(workers.map((w) => readPeaks(w)));
  const peaks = memory.map((m) => m.peakRssMB ?? Number.NaN);
  if (!complete) ctx.log(`pipeline ${kind}: only ${done} of ${events} done within ${deadlineMs / 1000} s`);

  await queue.close();
  await Promise.all(workers.map((w) => ctx.stop(w)));
  if (standIns) await ctx.stop(standIns.child);
  await backends.flush();
  return {
    kind,
    events,
    workerProcesses,
    seconds,
    eventsPerSecond: done / seconds,
    ...(kind === 'all-sinks' ? { sinkSeconds } : {}),
    complete,
    done,
    workerPeakRssMB: peaks,
    workerMemory: memory.map((m) => m.breakdown),
    workerIdleRssMB: idle,
    cores,
  };
}

export type PipelineThroughput = {
  events: number;
  concurrency: number;
  noop: PipelineRun;
  database: PipelineRun;
  allSinks: PipelineRun;
  databaseRatio: number;
  allSinksRatio: number;
};

export async function pipelineThroughput(ctx: BenchContext): Promise<PipelineThroughput> {
  const { events } = ctx.settings.pipeline;
  const concurrency = loadConfig(hooklineEnv({ redisUrl: ctx.backends.redisUrl })).workerConcurrency;
  const noop = await runPipeline(ctx, 'noop', events);
  const database = await runPipeline(ctx, 'database', events);
  const allSinks = await runPipeline(ctx, 'all-sinks', ctx.settings.pipeline.allSinksEvents);
  return {
    events,
    concurrency,
    noop,
    database,
    allSinks,
    databaseRatio: database.eventsPerSecond / noop.eventsPerSecond,
    allSinksRatio: allSinks.eventsPerSecond / noop.eventsPerSecond,
  };
}
