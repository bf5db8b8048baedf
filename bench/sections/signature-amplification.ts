/**
 * Issue 12, finding 1: what unauthenticated requests carrying many `t=…,v1=…` signature sets on a
 * 1 MB body cost the ingress, and what they do to the latency of correctly signed webhooks.
 *
 * - Signed webhooks (the fixture mix, each signed as its provider signs) are sent open loop at a fixed
 *   rate from this process, first alone, then while N hostile clients (a worker thread, closed loop,
 *   keep-alive) send the amplification request to /webhooks/persona as fast as they are answered.
 * - CPU per request: the ingress process's CPU time (/proc/<pid>/stat) while 2 clients send one kind
 *   of unauthenticated 1 MB request in a loop, divided by the requests answered: the 190-set request,
 *   a request at the cap (4 sets, 4 distinct fresh timestamps: the most HMAC work one request can
 *   still cause), and one ordinary wrong signature (1 set): the floor for any unauthenticated body.
 */
import { Agent } from 'node:http';
import type { BenchContext } from '../lib/context.ts';
import { cpuSeconds, measureCores } from '../lib/proc-cpu.ts';
import { percentile, round } from '../lib/stats.ts';
import { generateRequests } from '../load/payloads.ts';
import { hostileSignatureHeader, paddedBody, pacedSigned, startHostileClients, timedPost, type HostileResult } from '../../test/ingress/hostile-clients.ts';

export type SignedLatency = {
  sent: number;
  accepted: number;
  statusCounts: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
};

export type CpuPerRequest = {
  request: string;
  signatureSets: number;
  answered: number;
  statusCounts: Record<string, number>;
  /** Ingress CPU (user + system) per answered request, µs. */
  cpuUsPerRequest: number;
  /** Answer time seen by the sending client, median, ms. */
  p50Ms: number;
};

export type SignatureAmplification = {
  bodyBytes: number;
  signatureSets: number;
  hostileClients: number;
  signedRatePerSecond: number;
  seconds: number;
  alone: SignedLatency;
  underAttack: SignedLatency & { hostile: HostileResult; hostilePerSecond: number; cores: Record<string, number> };
  /** /healthz answered while under attack (sequential probes), ms. */
  healthzUnderAttack: { p50Ms: number; p99Ms: number };
  cpu: CpuPerRequest[];
};

const BODY_BYTES = 1_000_000;
const SIGNATURE_SETS = 190;
const CAPPED_SETS = 4;

function latency(answers: Array<{ status: number; ms: number }>): SignedLatency {
  const statusCounts: Record<string, number> = {};
  for (const { status } of answers) statusCounts[String(status)] = (statusCounts[String(status)] ?? 0) + 1;
  const ms = answers.map((a) => a.ms);
  return {
    sent: answers.length,
    accepted: answers.filter((a) => a.status === 202).length,
    statusCounts,
    p50Ms: round(percentile(ms, 50), 1),
    p99Ms: round(percentile(ms, 99), 1),
    maxMs: round(Math.max(...ms), 1),
  };
}

function hostileHeaders(sets: number, nowSeconds: number): Record<string, string> {
  return { 'content-type': 'application/json', 'persona-signature': hostileSignatureHeader(sets, nowSeconds) };
}

export async function signatureAmplification(ctx: BenchContext): Promise<SignatureAmplification> {
  const quick = ctx.settings.mode === 'quick';
  const seconds = quick ? 4 : 10;
  const cpuSecondsPerCase = quick ? 3 : 6;
  const ratePerSecond = 20;
  const hostileClients = 8;
  const { backends } = ctx;
  await backends.flush();
  const ingress = await ctx.ingressServer();
  const body = paddedBody(BODY_BYTES);

  const signedRun = async (runSeconds: number) => {
    const requests = generateRequests({ count: Math.round(ratePerSecond * runSeconds), runTag: ctx.tag() });
    return pacedSigned({ url: ingress.url, ratePerSecond, seconds: runSeconds }, (i) => {
      const r = requests[i]!;
      return { path: r.path, headers: r.headers, body: r.body };
    });
  };

  ctx.log('signature amplification: warm-up (signed requests alone, 1 s)');
  await signedRun(1);
  ctx.log(`signature amplification: signed requests alone, ${ratePerSecond} req/s for ${seconds} s`);
  const alone = latency(await signedRun(seconds));

  ctx.log(`signature amplification: the same with ${hostileClients} clients sending ${SIGNATURE_SETS} sets on ${BODY_BYTES / 1e6} MB`);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const attack = await startHostileClients({ url: ingress.url, path: '/webhooks/persona', headers: hostileHeaders(SIGNATURE_SETS, nowSeconds), body, clients: hostileClients });
  const healthz: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const started = performance.now();
      await fetch(`${ingress.url}/healthz`).then((r) => r.arrayBuffer()).catch(() => undefined);
      healthz.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const measured = await measureCores({ ingress: ingress.child.pid, redis: backends.redisPid, orchestrator: process.pid }, () => signedRun(seconds));
  probing = false;
  await probe;
  const hostile = await attack.stop(60_000);
  await backends.settle();
  const underAttack = { ...latency(measured.value), hostile, hostilePerSecond: round(hostile.answered / hostile.seconds, 1), cores: measured.cores };

  const cpu: CpuPerRequest[] = [];
  const cases: Array<{ request: string; sets: number }> = [
    { request: `${SIGNATURE_SETS} sets, distinct fresh timestamps (the attack)`, sets: SIGNATURE_SETS },
    { request: `${CAPPED_SETS} sets, distinct fresh timestamps (the most a request may carry)`, sets: CAPPED_SETS },
    { request: '1 set, wrong signature (any unauthenticated body)', sets: 1 },
  ];
  for (const { request, sets } of cases) {
    ctx.log(`signature amplification: ingress CPU per request, ${request}, 2 clients for ${cpuSecondsPerCase} s`);
    // One request first, so a connection and any lazy setup are not in the figure.
    await timedPost(new Agent(), ingress.url, '/webhooks/persona', hostileHeaders(sets, Math.floor(Date.now() / 1000)), body);
    const before = cpuSeconds(ingress.child.pid);
    const clients = await startHostileClients({ url: ingress.url, path: '/webhooks/persona', headers: hostileHeaders(sets, Math.floor(Date.now() / 1000)), body, clients: 2 });
    await new Promise((resolve) => setTimeout(resolve, cpuSecondsPerCase * 1000));
    const result = await clients.stop(60_000);
    const after = cpuSeconds(ingress.child.pid);
    const used = before !== undefined && after !== undefined ? after - before : Number.NaN;
    cpu.push({
      request,
      signatureSets: sets,
      answered: result.answered,
      statusCounts: result.statusCounts,
      cpuUsPerRequest: Math.round((used / Math.max(1, result.answered)) * 1e6),
      p50Ms: round(result.p50Ms, 1),
    });
  }
  await backends.flush();

  return {
    bodyBytes: BODY_BYTES,
    signatureSets: SIGNATURE_SETS,
    hostileClients,
    signedRatePerSecond: ratePerSecond,
    seconds,
    alone,
    underAttack,
    healthzUnderAttack: { p50Ms: round(percentile(healthz, 50), 1), p99Ms: round(percentile(healthz, 99), 1) },
    cpu,
  };
}

/** The section's markdown, in the style of bench/lib/report.ts. */
export function renderSignatureAmplification(s: SignatureAmplification, heading = '**Signature amplification**'): string[] {
  const statuses = (counts: Record<string, number>) => Object.entries(counts).map(([status, n]) => `${status}: ${n}`).join(', ');
  const out: string[] = [];
  out.push(
    '',
    `${heading} — signed webhooks (fixture mix) open loop at ${s.signedRatePerSecond} req/s for ${s.seconds} s, alone and while ${s.hostileClients} clients send ` +
      `\`Persona-Signature\` with ${s.signatureSets} \`t=…,v1=…\` sets (distinct fresh timestamps, wrong signatures) on a ${s.bodyBytes / 1e6} MB body in a loop.`,
    '',
    '| signed requests | sent | 202 | p50 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| alone | ${s.alone.sent} | ${s.alone.accepted} | ${s.alone.p50Ms} | ${s.alone.p99Ms} | ${s.alone.maxMs} |`,
    `| under attack | ${s.underAttack.sent} | ${s.underAttack.accepted} | ${s.underAttack.p50Ms} | ${s.underAttack.p99Ms} | ${s.underAttack.maxMs} |`,
    '',
    `Hostile requests answered: ${s.underAttack.hostile.answered} (${s.underAttack.hostilePerSecond}/s; ${statuses(s.underAttack.hostile.statusCounts)}; ` +
      `${s.underAttack.hostile.errors} errors; median answer ${round(s.underAttack.hostile.p50Ms, 1)} ms). ` +
      `/healthz under attack: p50 ${s.healthzUnderAttack.p50Ms} ms, p99 ${s.healthzUnderAttack.p99Ms} ms. ` +
      `Cores during the attack: ${Object.entries(s.underAttack.cores).map(([name, n]) => `${name} ${n}`).join(', ')}.`,
    '',
    '| unauthenticated 1 MB request (2 clients, closed loop) | answered | answers | ingress CPU µs / request | median answer ms |',
    '| --- | ---: | --- | ---: | ---: |',
    ...s.cpu.map((c) => `| ${c.request} | ${c.answered} | ${statuses(c.statusCounts)} | ${c.cpuUsPerRequest.toLocaleString('en-US')} | ${c.p50Ms} |`),
  );
  return out;
}
