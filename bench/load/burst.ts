/**
 * The alert section's load: a burst of N ReachFive FAILURE reports, each signed as ReachFive signs
 * (its static Authorization header), sent as fast as `connections` keep-alive connections allow. It
 * answers with each event key and when its answer (202) came, so the orchestrator can time every
 * event from its 202 to the first message that names it.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { providerOf } from '../../src/providers/registry.ts';
import { CREDENTIALS } from '../../test/support/signing.ts';
import type { BurstAnswer, BurstResult, BurstSpec } from '../lib/messages.ts';
import { onParentMessage, reportFailure, sendToParent } from '../servers/child-ipc.ts';
import type { BenchRequest } from './payloads.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/reachfive/export.failure.json', import.meta.url));
/** Jobs of a few definitions, as a nightly batch going wrong would look: each definition is one incident series. */
const DEFINITIONS = 8;

function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * `count` FAILURE reports shaped like the captured one (test/fixtures/reachfive/export.failure.json),
 * each with its own job id, failed now, spread over DEFINITIONS definitions.
 */
export function reachfiveFailures(count: number, runTag: string): BenchRequest[] {
  const template = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
  if (template.status !== 'FAILURE') throw new Error(`${FIXTURE}: expected a FAILURE report`);
  const now = new Date().toISOString();
  const signed = providerOf('reachfive').auth.sign('', CREDENTIALS.reachfive[0], Math.floor(Date.now() / 1000));
  return Array.from({ length: count }, (_, i) => {
    const id = `r5_${runTag}${i.toString(36)}`;
    const definition = i % DEFINITIONS;
    const body = JSON.stringify({
      ...template,
      id,
      type: 'import',
      created_at: now,
      updated_at: now,
      total_operations: 10,
      total_succeeded: 0,
      total_failed: 10,
      definition_id: `def_${runTag}${definition}`,
      definition_name: `CRM import ${definition + 1}`,
    });
    // A static header: the same for every body (staticHeader ignores the body and the time).
    const headers = { 'content-type': 'application/json', ...signed.headers };
    return { provider: 'reachfive', key: `reachfive:${id}`, path: '/webhooks/reachfive', headers, body };
  });
}

async function burst(spec: BurstSpec): Promise<BurstResult> {
  const requests = reachfiveFailures(spec.count, spec.runTag);
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const answers: BurstAnswer[] = requests.map((r) => ({ key: r.key, status: 0, answeredAt: Number.NaN }));
  let errors = 0;
  let next = 0;
  const sendOne = (index: number) =>
    new Promise<void>((resolve) => {
      const item = requests[index] as BenchRequest;
      const answer = answers[index] as BurstAnswer;
      const req = request({ host: target.hostname, port: target.port, method: 'POST', path: item.path, headers: item.headers, agent, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          answer.status = res.statusCode ?? 0;
          answer.answeredAt = epochMs();
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(item.body);
    });
  const startedAt = epochMs();
  await Promise.all(
    Array.from({ length: Math.min(spec.connections, requests.length) }, async () => {
      while (next < requests.length) await sendOne(next++);
    }),
  );
  const finishedAt = epochMs();
  agent.destroy();
  return { startedAt, finishedAt, answers, errors };
}

onParentMessage(async (message) => {
  if (message.type === 'burst') sendToParent({ type: 'burstResult', result: await burst(message.spec) });
  if (message.type === 'stop') process.exit(0);
});
try {
  sendToParent({ type: 'ready', port: null });
} catch (error) {
  reportFailure(error);
}
