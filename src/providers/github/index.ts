import { createHash } from 'node:crypto';
import { bodyHmac } from '../auth/body-hmac.ts';
import { boundedId } from '../event-id.ts';
import type { ProviderDefinition } from '../provider.ts';
import { githubEvent, normalize } from './normalize.ts';
import sample from './sample.json' with { type: 'json' };

/** A GUID-shaped name of `body`: the same body gets the same delivery id. */
function guidOf(body: string): string {
  const hex = createHash('sha256').update(body).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The X-GitHub-Event GitHub would send with `body` (a sample or fixture has no headers of its own). */
function eventOfBody(body: string): string {
  try {
    return githubEvent(JSON.parse(body), {}) ?? 'workflow_run';
  } catch {
    return 'workflow_run';
  }
}

/** GitHub Actions: workflow runs and jobs, from a repository, organization or app webhook. */
export const github: ProviderDefinition<'github'> = {
  id: 'github',
  name: 'GitHub',
  credential: {
    variable: 'GITHUB_WEBHOOK_SECRET',
    what: 'one or more webhook secrets, comma-separated (rotation)',
    where: 'the repository or organization: Settings > Webhooks > the webhook\'s Secret (content type application/json; events "Workflow runs", "Workflow jobs")',
    example: (random) => random,
  },
  auth: bodyHmac({ headers: ['x-hub-signature-256'], encoding: 'hex', prefix: 'sha256=' }),
  keptHeaders: ['x-github-event', 'x-github-delivery', 'x-github-hook-id', 'x-github-hook-installation-target-type', 'x-github-hook-installation-target-id'],
  // X-GitHub-Delivery names the event, not the attempt: a redelivery (GitHub never retries by itself)
  // carries the same GUID (github/docs#32822), so it is the key that makes a redelivery a duplicate.
  eventId: (_payload, headers) => boundedId(headers['x-github-delivery']),
  connectionTest: {
    matches: (payload, headers) => githubEvent(payload, headers) === 'ping',
    description: 'GitHub\'s `ping` event (sent when the webhook is created)',
  },
  normalize,
  stuckAfter: {
    defaultSeconds: 7 * 3_600,
    why: 'a job is cancelled after 6 h unless its workflow sets `timeout-minutes`; an hour past that, a run still started or running is stuck',
  },
  sample: {
    payload: sample,
    // The key comes from X-GitHub-Delivery: one GUID per body, as GitHub keeps one per event.
    headers: (body) => ({ 'x-github-event': eventOfBody(body), 'x-github-delivery': guidOf(body) }),
  },
  docs: {
    summary: 'GitHub Actions workflow_run and workflow_job events',
    authentication:
      '`X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the body; `ping` is answered 200 and nothing is queued',
    eventKey: '`github:<X-GitHub-Delivery>` (the delivery GUID, which a redelivery keeps)',
    headers: [
      { name: 'X-GitHub-Event', description: '`workflow_run`, `workflow_job` or `ping`; other events are kept as unnormalizable' },
      { name: 'X-GitHub-Delivery', description: 'The delivery GUID: the event key' },
    ],
    statuses:
      'action `requested` / `queued` / `waiting` → started, `in_progress` → running, `completed` with conclusion `success` / `neutral` → succeeded, `failure` / `timed_out` / `startup_failure` → failed, `cancelled` / `skipped` / `stale` → canceled, `action_required` → paused',
  },
};
