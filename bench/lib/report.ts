import type { LoadRun } from './context.ts';
import type { BenchResults, MemoryFigure, TargetCheck } from './results.ts';
import type { PipelineRun } from '../sections/pipeline-throughput.ts';
import type { SideSummary } from '../sections/ingress-throughput.ts';
import type { AlertRun, Alerts, Mentions } from '../sections/alerts.ts';
import { renderSignatureAmplification } from '../sections/signature-amplification.ts';

const num = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)}×`);
const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? 'n/a' : value < 10 ? value.toFixed(1) : value.toFixed(0));

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`, ...rows.map(line)];
}

function unexpected(side: SideSummary): string {
  const entries = Object.entries(side.unexpected);
  return entries.length === 0 ? 'none' : entries.map(([code, count]) => `${count}×${code}`).join(' ');
}

function cores(side: { cores: Record<string, number> }): string {
  return Object.entries(side.cores)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(', ');
}

function rounds(runs: LoadRun[]): string {
  return runs.map((r) => num(r.requestsPerSecond)).join(' / ');
}

function pipelineRow(name: string, run: PipelineRun, base: PipelineRun | undefined): string[] {
  return [
    name,
    num(run.eventsPerSecond),
    `${run.seconds.toFixed(1)}${run.complete ? '' : ` (${run.done}/${run.events} done)`}`,
    base ? ratio(run.eventsPerSecond / base.eventsPerSecond) : '1.00×',
    run.workerPeakRssMB.map((v) => num(v)).join(' + '),
    cores(run),
  ];
}

/** The human-readable report: markdown tables, printable and pasteable into the README. */
export function renderReport(results: BenchResults): string {
  const { machine } = results;
  const dbName = results.database.startsWith('embedded') ? 'the embedded database' : 'PostgreSQL';
  const out: string[] = [];
  out.push(`### hookline benchmark — ${results.settings.mode} run${results.profiled ? ' (PROFILED: ingress and workers slowed by the V8 profiler)' : ''}, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC (${Math.round(results.durationSeconds)} s)`);
  out.push('');
  out.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}; Node ${machine.node}; Redis ${machine.redis} (private, no persistence); ${results.database}; autocannon ${machine.autocannon}. ` +
      `Every process is its own: load generator, server under test, Redis, workers (${results.runner}); services log at ${results.logLevel} to /dev/null; hookline's processes run with ${results.nodeOptions ? `NODE_OPTIONS=${results.nodeOptions}` : 'no NODE_OPTIONS'} (the baselines with none).`,
  );

  const ingress = results.ingress;
  if (ingress) {
    out.push('', `**1. Ingress throughput** — autocannon, ${ingress.connections} connections, ${ingress.rounds} interleaved rounds × ${ingress.seconds} s per side (A B A B …), median; signed unique requests, all five providers, fixture bodies (${num(ingress.averageBodyBytes)} B on average).`);
    out.push(
      ...table(
        ['server', 'req/s', 'p50 ms', 'p99 ms', 'rounds req/s', 'not 202', 'server CPU µs/req', 'cores used (median)'],
        [
          ['(a) bare Express 5, raw body, 202', num(ingress.baseline.requestsPerSecond), ms(ingress.baseline.latencyP50Ms), ms(ingress.baseline.latencyP99Ms), rounds(ingress.baseline.rounds), unexpected(ingress.baseline), num(ingress.baseline.serverCpuMicrosPerRequest), cores(ingress.baseline)],
          ['(b) hookline ingress (verify + durable enqueue)', num(ingress.hookline.requestsPerSecond), ms(ingress.hookline.latencyP50Ms), ms(ingress.hookline.latencyP99Ms), rounds(ingress.hookline.rounds), unexpected(ingress.hookline), num(ingress.hookline.serverCpuMicrosPerRequest), cores(ingress.hookline)],
          ['ratio b/a', ratio(ingress.ratio), '', '', '', '', '', ''],
        ],
      ),
    );
  }

  const pipeline = results.pipeline;
  if (pipeline) {
    out.push('', `**2. Pipeline throughput** — ${num(pipeline.events)} events already queued, 1 worker process, concurrency ${pipeline.concurrency}; timed from start to the last event done.`);
    const all = pipeline.allSinks;
    const perSink = all.sinkSeconds ? Object.entries(all.sinkSeconds).map(([sink, s]) => `${sink} ${s.toFixed(1)} s`).join(', ') : '';
    out.push(
      ...table(
        ['run', 'events/s', 'seconds', 'vs no-op', 'worker peak RSS MB', 'cores used'],
        [
          pipelineRow('no-op BullMQ worker (the queue\'s ceiling)', pipeline.noop, undefined),
          pipelineRow(`hookline, database sink (rows in ${dbName})`, pipeline.database, pipeline.noop),
          pipelineRow(`hookline, database + Slack + email stand-ins${all.events !== pipeline.events ? ` (${num(all.events)} events)` : ''}`, all, pipeline.noop),
        ],
      ),
    );
    if (perSink) out.push(`All sinks: every event delivered to each sink after: ${perSink} (Slack rate limit lifted).`);
  }

  const e2e = results.e2e;
  if (e2e) {
    out.push('', `**3. End-to-end latency** — open loop, ${e2e.ratePerSecond} req/s for ${e2e.seconds} s after a ${e2e.warmupSeconds} s warm-up, POST sent → row visible in ${dbName} (1 worker process, database sink).`);
    out.push(
      ...table(
        ['sent', 'rows seen', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'POST answered p50 / p99 ms', 'late sends'],
        [[num(e2e.sender.sent), num(e2e.visible), ms(e2e.p50Ms), ms(e2e.p95Ms), ms(e2e.p99Ms), ms(e2e.maxMs), `${ms(e2e.sender.responseP50Ms)} / ${ms(e2e.sender.responseP99Ms)}`, num(e2e.sender.lateSends)]],
      ),
    );
    out.push(`Cores used: ${cores(e2e)}.`);
    out.push(`Resolution: the database is polled every ${e2e.pollMs} ms for the pending keys (median poll ${ms(e2e.pollQueryMs)} ms); a row is stamped when the poll that sees it returns, so figures are upper bounds by up to ~${Math.ceil(e2e.pollMs + e2e.pollQueryMs)} ms.`);
  }

  const growth = results.growth;
  if (growth) {
    out.push('', `**4. Growth** — hookline ingress, ${growth.rounds} round(s) × ${growth.seconds} s per case, median; pipeline with the database sink.`);
    const g = growth;
    out.push(
      ...table(
        ['case', 'req/s or events/s', 'p50 ms', 'p99 ms', 'ratio', 'peak RSS MB'],
        [
          ['ingress, empty queue', num(g.queueDepth.empty.requestsPerSecond), ms(g.queueDepth.empty.latencyP50Ms), ms(g.queueDepth.empty.latencyP99Ms), '1.00×', num(maxPeak(g.queueDepth.empty.rounds))],
          [`ingress, ${num(g.queueDepth.waitingJobs)} jobs waiting`, num(g.queueDepth.waiting.requestsPerSecond), ms(g.queueDepth.waiting.latencyP50Ms), ms(g.queueDepth.waiting.latencyP99Ms), ratio(g.queueDepth.ratio), num(maxPeak(g.queueDepth.waiting.rounds))],
          [`ingress, ${kib(g.bodySize.smallBytes)} bodies`, num(g.bodySize.small.requestsPerSecond), ms(g.bodySize.small.latencyP50Ms), ms(g.bodySize.small.latencyP99Ms), '1.00×', num(maxPeak(g.bodySize.small.rounds))],
          [`ingress, ${kib(g.bodySize.bigBytes)} bodies`, num(g.bodySize.big.requestsPerSecond), ms(g.bodySize.big.latencyP50Ms), ms(g.bodySize.big.latencyP99Ms), ratio(g.bodySize.ratio), num(maxPeak(g.bodySize.big.rounds))],
          [`pipeline, 1 worker process (${num(g.workers.events)} events)`, num(g.workers.one.eventsPerSecond), '', '', '1.00×', g.workers.one.workerPeakRssMB.map((v) => num(v)).join(' + ')],
          [`pipeline, 2 worker processes`, g.workers.two ? num(g.workers.two.eventsPerSecond) : 'n/a', '', '', ratio(g.workers.ratio), g.workers.two ? g.workers.two.workerPeakRssMB.map((v) => num(v)).join(' + ') : ''],
        ],
      ),
    );
    if (g.workers.note) out.push(`Note: ${g.workers.note}.`);
  }

  if (results.memory.length > 0) {
    out.push('', '**5. Memory** — peak RSS per process (VmHWM, reset before each scenario); beside it the peaks of the process\'s own memoryUsage() samples (every 100 ms): V8 heap used / heap reserved / outside the heap (Buffers, native).');
    out.push(
      ...table(
        ['process', 'during', 'peak RSS MB', 'heap used', 'heap total', 'external', 'idle RSS MB'],
        results.memory.map((m: MemoryFigure) => [m.process, m.during, num(m.peakRssMB), num(m.breakdown?.heapUsed), num(m.breakdown?.heapTotal), num(m.breakdown?.external), num(m.idleRssMB)]),
      ),
    );
  }

  if (results.alerts) out.push('', ...alertsReport(results.alerts));
  if (results.amplification) out.push('', ...renderSignatureAmplification(results.amplification, '**7. Signature amplification**'));

  out.push('', '**Targets**');
  out.push(...table(['target', 'measured', 'met'], results.targets.map((t: TargetCheck) => [t.target, t.measured + (t.note ? ` — ${t.note}` : ''), t.met === undefined ? 'n/a' : t.met ? 'yes' : 'NO'])));
  if (results.errors.length > 0) out.push('', '**Errors**', ...results.errors.map((e) => `- ${e}`));
  return out.join('\n');
}

function maxPeak(runs: LoadRun[]): number | undefined {
  const values = runs.map((r) => r.serverPeakRssMB).filter((v): v is number => v !== undefined);
  return values.length ? Math.max(...values) : undefined;
}

function kib(bytes: number): string {
  return `${bytes / 1024} KiB`;
}

const sec = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(1));

function sideName(run: AlertRun): string {
  return run.side === 'digests'
    ? `hookline, digests (defaults: up to ${run.slackDigestMax} per message)`
    : `per-event baseline (SLACK_DIGEST_MAX=${run.slackDigestMax})`;
}

/** "20.3" or, when not every event was named within the bound, "n/a (312/400 named in 62 s)". */
function lastMention(m: Mentions, accepted: number): string {
  return m.complete ? sec(m.lastMentionSeconds) : `n/a (${m.named}/${accepted} named in ${Math.round(m.boundSeconds)} s)`;
}

function alertsReport(a: Alerts): string[] {
  const out: string[] = [];
  const pace = a.runs[0]?.slackMaxPerSecond ?? 1;
  const perEventSizes = a.runs.filter((r) => r.side === 'per-event').map((r) => r.events);
  const extrapolatedNote = a.extrapolated.length
    ? ` The baseline is measured on ${perEventSizes.join(' and ') || 'no size'} events only; at ${a.extrapolated.map((e) => e.events).join(' and ')} it is EXTRAPOLATED (one message per event at ${pace} per second), not measured.`
    : '';
  out.push(
    `**6. Alerts at Slack's pace** — a burst of N signed ReachFive FAILURE reports (${a.connections} connections) → ingress → 1 worker process → a Slack stand-in that enforces ${a.standIn.perSecond} message/s with a burst of ${a.standIn.burst} (over it: ${a.standIn.refusal}). ` +
      `hookline at its defaults (SLACK_MAX_PER_SECOND unset: ${pace}/s; digests) against the per-event baseline, the same hookline with SLACK_DIGEST_MAX=1. ` +
      `Times from the burst's first request to the stand-in's arrival stamp; lateness: an event's 202 → the first message naming its key (whole-token match in \`text\`).${extrapolatedNote}`,
  );
  const rows = a.runs.map((r) => [
    sideName(r),
    num(r.events),
    `${r.burstSeconds.toFixed(2)}${r.accepted === r.events ? '' : ` (${r.accepted} × 202)`}`,
    sec(r.slack.firstMentionSeconds),
    lastMention(r.slack, r.accepted),
    `${num(r.slack.messages)}${r.slack.otherMessages ? ` (+${r.slack.otherMessages} naming none)` : ''}`,
    sec(r.slack.meanLatenessSeconds),
    sec(r.slack.maxLatenessSeconds),
    num(r.rateLimited),
    num(r.slack.namedTwice),
  ]);
  for (const e of a.extrapolated) {
    rows.push([`per-event baseline — EXTRAPOLATED, not measured`, num(e.events), '', '', `≈ ${num(e.lastMentionSeconds)} (1 per second)`, `${num(e.messages)}`, `≈ ${num(e.meanLatenessSeconds)}`, '', '', '']);
  }
  out.push(...table(['run', 'events', 'burst answered s', 'first message s', 'last mention s', 'Slack messages', 'mean lateness s', 'max lateness s', '429s', 'named twice'], rows), '');
  for (const c of a.comparisons) {
    // An extrapolated figure is a round estimate: no decimals, and marked ≈.
    const base = (value: number) => (c.extrapolated ? `≈ ${num(value)}` : sec(value));
    out.push(
      `- ${num(c.events)} events${c.extrapolated ? ' (baseline extrapolated, not measured)' : ''}: last mention ${sec(c.lastMention.digests)} s vs ${base(c.lastMention.perEvent)} s: ${ratio(c.lastMention.ratio)}; ` +
        `messages ${num(c.messages.digests)} vs ${c.extrapolated ? '≈ ' : ''}${num(c.messages.perEvent)}; mean lateness ${sec(c.meanLateness.digests)} s vs ${base(c.meanLateness.perEvent)} s: ${ratio(c.meanLateness.ratio)}.`,
    );
  }
  const emailRuns = a.runs.filter((r) => r.email);
  for (const r of emailRuns) {
    const e = r.email as NonNullable<AlertRun['email']>;
    out.push(
      `- Email (digests only; EMAIL_MAX_PER_MINUTE unset: ${e.maxPerMinute}/min, digests of up to ${e.digestMax}), ${num(r.events)} events: ` +
        (e.complete ? `every event named after ${sec(e.lastMentionSeconds)} s` : `only ${e.named}/${r.accepted} named within ${Math.round(e.boundSeconds)} s`) +
        ` in ${num(e.messages)} emails; mean lateness ${sec(e.meanLatenessSeconds)} s, max ${sec(e.maxLatenessSeconds)} s; named twice ${num(e.namedTwice)}.`,
    );
  }
  if (a.emailNote) out.push(`- ${a.emailNote.charAt(0).toUpperCase()}${a.emailNote.slice(1)}.`);
  return out;
}
