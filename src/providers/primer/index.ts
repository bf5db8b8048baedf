import { bodyHmac } from '../auth/body-hmac.ts';
import { idAt, pick } from '../event-id.ts';
import type { ProviderDefinition } from '../provider.ts';
import { normalize } from './normalize.ts';
import sample from './sample.json' with { type: 'json' };

const CONNECTION_TEST_MESSAGE = 'Testing your webhook connection';

/** Primer failed workflow runs. */
export const primer: ProviderDefinition<'primer'> = {
  id: 'primer',
  name: 'Primer',
  credential: {
    variable: 'PRIMER_WEBHOOK_SECRET',
    what: 'one or more signing secrets, comma-separated (rotation)',
    where: 'Dashboard > Developers > Webhooks > signing secret',
    example: (random) => random,
  },
  auth: bodyHmac({ headers: ['x-signature-primary', 'x-signature-secondary'], encoding: 'base64', timestampField: 'signedAt' }),
  keptHeaders: [],
  // Primer sends no event id; one FAILED webhook is expected per run (date and signedAt may vary per attempt).
  eventId(payload) {
    const eventType = idAt(payload, ['eventType']);
    const runId = idAt(payload, ['run', 'id']);
    return eventType && runId ? `${eventType}:${runId}` : undefined;
  },
  connectionTest: {
    matches: (payload) => pick(payload, ['message']) === CONNECTION_TEST_MESSAGE && pick(payload, ['eventType']) === undefined,
    description: `Primer's connection test \`{"message":"${CONNECTION_TEST_MESSAGE}"}\``,
  },
  normalize,
  stuckAfter: { defaultSeconds: 6 * 3_600, why: 'moot: Primer sends failed runs only, so none is ever stuck' },
  sample: { payload: sample, idPath: ['run', 'id'] },
  docs: {
    summary: 'Primer WORKFLOW_RUN.FAILED events',
    authentication:
      '`X-Signature-Primary` or `X-Signature-Secondary`: base64 HMAC-SHA256 of the body; `signedAt` in the body is checked when present',
    eventKey: '`primer:<eventType>:<run.id>`',
    statuses: '`WORKFLOW_RUN.FAILED` → failed (`WORKFLOW_RUN.COMPLETED`, should Primer send it, → succeeded)',
  },
};
