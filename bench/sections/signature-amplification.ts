/**
 * Issue 12, finding 1: what unauthenticated requests carrying many `t=…,v1=…` signature sets on a
 * 1 MB body cost the ingress, and what they do to the latency of correctly signed webhooks.
 *
 * - Signed webhooks (the fixture mix, each signed as its provider signs) are sent open loop at a fixed
 *   rate from this process: alone; then while 8 hostile clients (a worker thread of this process,
 *   keep-alive) send the 190-set request to /webhooks/persona, first paced at the report's ~10 MB/s
 *   in all, then in a closed loop (as fast as they are answered: what is left is a bandwidth flood).
 *   /healthz is probed meanwhile.
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

/** Signed requests while hostile clients send the amplification request. */
export type AttackRun = SignedLatency & {
  attack: string;
  hostile: HostileResult;
  hostilePerSecond: number;
  /** Hostile bytes received per second, MB. */
  hostileMBPerSecond: number;
  /** /healthz answered meanwhile (sequential probes, 100 ms apart), ms. */
  healthzP50Ms: number;
  healthzP99Ms: number;
  cores: Record<string, number>;
};

export type SignatureAmplification = {
  bodyBytes: number;
  signatureSets: number;
  hostileClients: number;
  signedRatePerSecond: number;
  seconds: number;
  alone: SignedLatency;
  underAttack: AttackRun[];
  cpu: CpuPerRequest[];
};

const BODY_BYTES = 1_000_000;
const SIGNATURE_SETS = 190;
const CAPPED_SETS = 4;
const HOSTILE_CLIENTS = 8;
/** The report's load: eight clients, ~10 MB/s in all. */
const REPORTED_MB_PER_SECOND = 10;

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

function hostileHeaders(sets: number): Record<string, string> {
  return { 'content-type': 'application/json', 'persona-signature': hostileSignatureHeader(sets, Math.floor(Date.now() / 1000)) };
}

export async function signatureAmplification(ctx: BenchContext): Promise<SignatureAmplification> {
  const quick = ctx.settings.mode === 'quick';
  const seconds = quick ? 4 : 10;
  const cpuSecondsPerCase = quick ? 3 : 6;
  const ratePerSecond = 20;
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

  const attackRun = async (attack: string, intervalMs: number | undefined): Promise<AttackRun> => {
    ctx.log(`signature amplification: signed requests with ${attack}`);
    const clients = await startHostileClients({
      url: ingress.url,
      path: '/webhooks/persona',
      headers: hostileHeaders(SIGNATURE_SETS),
      body,
      clients: HOSTILE_CLIENTS,
      ...(intervalMs === undefined ? {} : { intervalMs }),
    });
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
    const hostile = await clients.stop(120_000);
    await backends.settle();
    return {
      attack,
      ...latency(measured.value),
      hostile,
      hostilePerSecond: round(hostile.answered / hostile.seconds, 1),
      hostileMBPerSecond: round((hostile.answered * BODY_BYTES) / 1e6 / hostile.seconds, 1),
      healthzP50Ms: round(percentile(healthz, 50), 1),
      healthzP99Ms: round(percentile(healthz, 99), 1),
      cores: measured.cores,
    };
  };

  const intervalMs = Math.round((HOSTILE_CLIENTS * BODY_BYTES) / (REPORTED_MB_PER_SECOND * 1e6) * 1000);
  const underAttack = [
    await attackRun(`${HOSTILE_CLIENTS} clients at ~${REPORTED_MB_PER_SECOND} MB/s in all (the report's load; one request per client per ${intervalMs} ms at most)`, intervalMs),
    await attackRun(`${HOSTILE_CLIENTS} clients in a closed loop (as fast as answered: a bandwidth flood)`, undefined),
  ];

  const cpu: CpuPerRequest[] = [];
  const cases: Array<{ request: string; sets: number }> = [
    { request: `${SIGNATURE_SETS} sets, distinct fresh timestamps (the attack)`, sets: SIGNATURE_SETS },
    { request: `${CAPPED_SETS} sets, distinct fresh timestamps (the most a request may carry)`, sets: CAPPED_SETS },
    { request: '1 set, wrong signature (any unauthenticated body)', sets: 1 },
  ];
  for (const { request, sets } of cases) {
    ctx.log(`signature amplification: ingress CPU per request, ${request}, 2 clients for ${cpuSecondsPerCase} s`);
    // One request first, so a connection and any lazy setup are not in the figure.
    await timedPost(new Agent(), ingress.url, '/webhooks/persona', hostileHeaders(sets), body);
    const before = cpuSeconds(ingress.child.pid);
    const clients = await startHostileClients({ url: ingress.url, path: '/webhooks/persona', headers: hostileHeaders(sets), body, clients: 2 });
    await new Promise((resolve) => setTimeout(resolve, cpuSecondsPerCase * 1000));
    const result = await clients.stop(120_000);
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

  return { bodyBytes: BODY_BYTES, signatureSets: SIGNATURE_SETS, hostileClients: HOSTILE_CLIENTS, signedRatePerSecond: ratePerSecond, seconds, alone, underAttack, cpu };
}

/** The section's markdown, in the style of bench/lib/report.ts. */
export function renderSignatureAmplification(s: SignatureAmplification, heading = '**Signature amplification**'): string[] {
  const statuses = (counts: Record<string, number>) => Object.entries(counts).map(([status, n]) => `${status}: ${n}`).join(', ');
  const row = (name: string, l: SignedLatency, extra: string[]) => `| ${name} | ${l.sent} | ${l.accepted} | ${l.p50Ms} | ${l.p99Ms} | ${l.maxMs} | ${extra.join(' | ')} |`;
  return [
    '',
    `${heading} — signed webhooks (fixture mix) open loop at ${s.signedRatePerSecond} req/s for ${s.seconds} s, alone and while ${s.hostileClients} clients send ` +
      `\`Persona-Signature\` with ${s.signatureSets} \`t=…,v1=…\` sets (distinct fresh timestamps, wrong signatures) on a ${s.bodyBytes / 1e6} MB body.`,
    '',
    '| signed requests | sent | 202 | p50 ms | p99 ms | max ms | hostile answered (/s, MB/s) | /healthz p50 / p99 ms | cores (ingress, machine) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    row('alone', s.alone, ['–', '–', '–']),
    ...s.underAttack.map((a) =>
      row(a.attack, a, [
        `${a.hostile.answered} (${a.hostilePerSecond}/s, ${a.hostileMBPerSecond} MB/s; ${statuses(a.hostile.statusCounts)}; ${a.hostile.errors} errors)`,
        `${a.healthzP50Ms} / ${a.healthzP99Ms}`,
        `${a.cores.ingress ?? '?'}, ${a.cores.machine ?? '?'}`,
      ]),
    ),
    '',
    '| unauthenticated 1 MB request (2 clients, closed loop) | answered | answers | ingress CPU µs / request | median answer ms |',
    '| --- | ---: | --- | ---: | ---: |',
    ...s.cpu.map((c) => `| ${c.request} | ${c.answered} | ${statuses(c.statusCounts)} | ${c.cpuUsPerRequest.toLocaleString('en-US')} | ${c.p50Ms} |`),
  ];
}
