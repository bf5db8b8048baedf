/**
 * `npm run bench [-- --quick] [--only=<sections>] [--profile] [--runtimes 20,24]`: hookline's benchmark. Starts a private
 * Redis, uses the local PostgreSQL (a fresh schema per scenario) or else the embedded database, runs
 * every server and load generator in its own process, prints the tables and writes them (JSON and
 * markdown) under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRunId, startBackends, type Backends } from './lib/backends.ts';
import { hooklineNodeOptions } from './lib/env.ts';
import { AUTOCANNON_VERSION, BenchContext } from './lib/context.ts';
import { BENCH_DIR, createLauncher } from './lib/launcher.ts';
import { describeMachine } from './lib/machine.ts';
import { renderReport } from './lib/report.ts';
import type { LoadRun } from './lib/context.ts';
import type { MemoryPeaks } from './lib/messages.ts';
import type { BenchResults, MemoryFigure, TargetCheck } from './lib/results.ts';
import { parseArgs } from './lib/settings.ts';
import { REPORT_TO_ENV, runPerRuntime } from './lib/runtimes.ts';
import { alerts } from './sections/alerts.ts';
import { signatureAmplification } from './sections/signature-amplification.ts';
import { e2eLatency } from './sections/e2e-latency.ts';
import { growth } from './sections/growth.ts';
import { ingressThroughput, maxOf } from './sections/ingress-throughput.ts';
import { pipelineThroughput, type PipelineRun } from './sections/pipeline-throughput.ts';
import { formatSummary, summarize as summarizeProfile } from './profile-summary.ts';
import { readdirSync, statSync } from 'node:fs';

const TARGETS = { ingressRatio: 0.8, pipelineRatio: 0.5, e2eP99Ms: 50, peakRssMB: 200, fullSeconds: 600, quickSeconds: 60 };

type Peak = { peakRssMB: number | undefined; breakdown: MemoryPeaks | undefined };

/** The scenario run with the highest peak RSS, with what that peak was made of. */
function highest(peaks: Peak[]): Peak {
  return peaks.reduce<Peak>((best, peak) => ((peak.peakRssMB ?? -1) > (best.peakRssMB ?? -1) ? peak : best), { peakRssMB: undefined, breakdown: undefined });
}

const ofLoad = (runs: LoadRun[]) => highest(runs.map((r) => ({ peakRssMB: r.serverPeakRssMB, breakdown: r.serverMemory })));
const ofWorkers = (run: PipelineRun) => highest(run.workerPeakRssMB.map((peakRssMB, i) => ({ peakRssMB, breakdown: run.workerMemory[i] })));

function memoryFigures(results: BenchResults): MemoryFigure[] {
  const figures: MemoryFigure[] = [];
  const add = (process: MemoryFigure['process'], during: string, peak: Peak, idleRssMB?: number) =>
    figures.push({ process, during, ...peak, idleRssMB });
  const { ingress, pipeline, e2e, growth: g } = results;
  if (ingress) add('ingress', `ingress throughput (${ingress.connections} connections, fixture bodies)`, ofLoad(ingress.hookline.rounds), ingress.ingressIdleRssMB);
  if (g) {
    add('ingress', `${g.queueDepth.waitingJobs.toLocaleString('en-US')} jobs waiting`, ofLoad(g.queueDepth.waiting.rounds));
    add('ingress', `${g.bodySize.bigBytes / 1024} KiB bodies`, ofLoad(g.bodySize.big.rounds));
  }
  if (e2e) add('ingress', `end-to-end, ${e2e.ratePerSecond} req/s`, { peakRssMB: e2e.ingressPeakRssMB, breakdown: e2e.ingressMemory });
  if (pipeline) {
    add('worker', 'pipeline, database sink', ofWorkers(pipeline.database), maxOf(pipeline.database.workerIdleRssMB));
    add('worker', 'pipeline, all three sinks', ofWorkers(pipeline.allSinks), maxOf(pipeline.allSinks.workerIdleRssMB));
  }
  if (g?.workers.two) add('worker', 'pipeline, 2 worker processes (each)', ofWorkers(g.workers.two), maxOf(g.workers.two.workerIdleRssMB));
  if (e2e) add('worker', `end-to-end, ${e2e.ratePerSecond} req/s`, { peakRssMB: e2e.workerPeakRssMB, breakdown: e2e.workerMemory });
  return figures;
}

function shortBy(measured: number, target: number, higherIsBetter: boolean): string | undefined {
  const met = higherIsBetter ? measured >= target : measured <= target;
  if (met) return undefined;
  const gap = higherIsBetter ? (target - measured) / target : (measured - target) / target;
  return `${higherIsBetter ? 'short' : 'over'} by ${(gap * 100).toFixed(0)}%`;
}

/** Seconds of the sections that run for a fixed wall-clock time (Slack's pace, a timed attack). */
let fixedSeconds = 0;

function targetChecks(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { ingress, pipeline, e2e } = results;
  const check = (target: string, value: number | undefined, limit: number, higherIsBetter: boolean, measured: string): void => {
    if (value === undefined || Number.isNaN(value)) {
      checks.push({ target, measured: 'not measured', met: undefined });
      return;
    }
    const note = shortBy(value, limit, higherIsBetter);
    checks.push({ target, measured, met: note === undefined, ...(note ? { note } : {}) });
  };
  if (ingress) check(`ingress ≥ ${TARGETS.ingressRatio}× bare Express`, ingress.ratio, TARGETS.ingressRatio, true, `${ingress.ratio.toFixed(2)}× (${Math.round(ingress.hookline.requestsPerSecond)} vs ${Math.round(ingress.baseline.requestsPerSecond)} req/s)`);
  if (pipeline) check(`pipeline, database sink ≥ ${TARGETS.pipelineRatio}× no-op worker`, pipeline.databaseRatio, TARGETS.pipelineRatio, true, `${pipeline.databaseRatio.toFixed(2)}× (${Math.round(pipeline.database.eventsPerSecond)} vs ${Math.round(pipeline.noop.eventsPerSecond)} events/s)`);
  if (e2e) check(`end-to-end p99 ≤ ${TARGETS.e2eP99Ms} ms at ${e2e.ratePerSecond} req/s`, e2e.p99Ms, TARGETS.e2eP99Ms, false, `p99 ${e2e.p99Ms.toFixed(1)} ms`);
  for (const kind of ['ingress', 'worker'] as const) {
    const peak = maxOf(results.memory.filter((m) => m.process === kind).map((m) => m.peakRssMB));
    if (peak !== undefined) check(`peak RSS ≤ ${TARGETS.peakRssMB} MB (${kind})`, peak, TARGETS.peakRssMB, false, `${Math.round(peak)} MB at most`);
  }
  const limit = results.settings.mode === 'full' ? TARGETS.fullSeconds : TARGETS.quickSeconds;
  // The alerts section waits out Slack's real pace (its per-event baseline is 1 message a second by
  // design) and the amplification section runs a timed attack: the budget applies to the rest, and
  // their own time is shown beside it.
  const measured = results.durationSeconds - fixedSeconds;
  check(
    `${results.settings.mode} run < ${limit} s (without the fixed-time alerts and amplification sections)`,
    measured,
    limit,
    false,
    `${Math.round(measured)} s${fixedSeconds > 0 ? ` + ${Math.round(fixedSeconds)} s of fixed-time sections` : ''}`,
  );
  return checks;
}

function stampOf(date: Date): string {
  return date.toISOString().slice(0, 19).replace(/:/g, '-') + 'Z';
}

function profilesUnder(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((entry) => {
      const full = join(dir, entry);
      return statSync(full).isDirectory() ? profilesUnder(full) : entry.endsWith('.cpuprofile') ? [full] : [];
    });
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const stamp = stampOf(startedAt);
  // --runtimes 20,24 / --node: this bench once per runtime, as a process of that runtime.
  if (args.runtimes && !process.env[REPORT_TO_ENV]) process.exit(await runPerRuntime(args.runtimes, args.perRuntimeArgv, stamp, args.settings.mode));
  const runId = newRunId();
  const errors: string[] = [];
  const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

  log(`${args.settings.mode} run on Node ${process.version}: ${[...args.sections].join(', ')}`);
  const backends: Backends = await startBackends(runId);
  const launcher = createLauncher();
  const profileDir = args.profile ? join(BENCH_DIR, 'profiles', stamp) : undefined;
  const ctx = new BenchContext({ settings: args.settings, backends, runId, launcher, profileDir });

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: stopping the bench processes');
    void ctx.close().finally(() => backends.stop().finally(() => process.exit(130)));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const partial: Partial<BenchResults> = {};
  const attempt = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push(`${name}: ${message}`);
      log(`${name} failed: ${message}`);
      await backends.flush().catch(() => undefined);
      return undefined;
    }
  };
  let results: BenchResults;
  try {
    if (args.sections.has('ingress')) partial.ingress = await attempt('ingress throughput', () => ingressThroughput(ctx));
    if (args.sections.has('pipeline')) partial.pipeline = await attempt('pipeline throughput', () => pipelineThroughput(ctx));
    if (args.sections.has('e2e')) partial.e2e = await attempt('end-to-end latency', () => e2eLatency(ctx));
    if (args.sections.has('growth')) partial.growth = await attempt('growth', () => growth(ctx));
    // Last: it is paced by Slack's one message a second, not by CPU, and mostly waits.
    if (args.sections.has('amplification')) {
      const started = Date.now();
      partial.amplification = await attempt('signature amplification', () => signatureAmplification(ctx));
      fixedSeconds += (Date.now() - started) / 1000;
    }
    if (args.sections.has('alerts')) {
      const alertsStarted = Date.now();
      partial.alerts = await attempt('alerts', () => alerts(ctx));
      fixedSeconds += (Date.now() - alertsStarted) / 1000;
    }
    const finishedAt = new Date();
    results = {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      machine: describeMachine(backends.redisVersion, backends.database.description, AUTOCANNON_VERSION),
      settings: args.settings,
      runner: launcher.kind === 'bundle' ? 'bundled with esbuild, run by plain node' : 'node --import tsx',
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
      nodeOptions: hooklineNodeOptions(),
      profiled: args.profile,
      database: backends.database.description,
      ...partial,
      memory: [],
      targets: [],
      errors,
    };
  } finally {
    await ctx.close();
    await backends.stop();
  }
  results.memory = memoryFigures(results);
  results.targets = targetChecks(results);

  const report = renderReport(results);
  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  // A run of --runtimes is named by its Node major too.
  const runtime = process.env[REPORT_TO_ENV] ? `-node${process.versions.node.split('.')[0]}` : '';
  const base = join(resultsDir, `${stamp}-${args.settings.mode}${runtime}${args.profile ? '-profiled' : ''}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${report}\n`);
  process.stdout.write(`${report}\n\nWritten: ${base}.json and ${base}.md\n`);
  const reportTo = process.env[REPORT_TO_ENV];
  if (reportTo) writeFileSync(reportTo, base);

  if (profileDir) {
    const summaries = profilesUnder(profileDir).map((file) => formatSummary(summarizeProfile(file), 15));
    writeFileSync(join(profileDir, 'summary.txt'), `${summaries.join('\n\n')}\n`);
    process.stdout.write(`\nCPU profiles: ${profileDir} (summary.txt; npx tsx bench/profile-summary.ts <file> for more)\n`);
  }
  process.exit(errors.length > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
