import { timestampedHmac } from '../auth/timestamped-hmac.ts';
import { idAt } from '../event-id.ts';
import type { ProviderDefinition } from '../provider.ts';
import { normalize } from './normalize.ts';
import sample from './sample.json' with { type: 'json' };

/** Persona importer pipeline runs (seeds: Persona's webhook and importer docs). */
export const persona: ProviderDefinition<'persona'> = {
  id: 'persona',
  name: 'Persona',
  credential: {
    variable: 'PERSONA_WEBHOOK_SECRET',
    what: 'one or more webhook secrets, comma-separated (rotation)',
    where: "Dashboard > Webhooks > the webhook's secret (wbhsec_...)",
    example: (random) => `wbhsec_${random}`,
  },
  auth: timestampedHmac('persona-signature'),
  keptHeaders: ['persona-webhook-attempts-made', 'persona-webhook-attempts-left', 'persona-webhook-first-attempted-at'],
  eventId: (payload) => idAt(payload, ['data', 'id']),
  normalize,
  stuckAfter: {
    defaultSeconds: 2 * 3_600,
    why: 'importer pipeline runs: the captured runs took 5 and 14 minutes; two hours is far past a healthy one',
  },
  sample: { payload: sample, idPath: ['data', 'id'] },
  docs: {
    summary: 'Persona importer-pipeline-run events',
    authentication:
      '`Persona-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 over `<t>.<body>`; two space-separated sets during a rotation',
    eventKey: '`persona:<data.id>`',
    statuses:
      'event name `importer-pipeline-run.started` / `.paused` / `.resumed` / `.canceled` / `.completed` / `.errored` → started / paused / resumed / canceled / succeeded / failed',
  },
};
