import { timestampedHmac } from '../auth/timestamped-hmac.ts';
import { idAt } from '../event-id.ts';
import type { ProviderDefinition } from '../provider.ts';
import { normalize } from './normalize.ts';
import sample from './sample.json' with { type: 'json' };

/** Plextera workflow runs and document extractions. */
export const plextera: ProviderDefinition<'plextera'> = {
  id: 'plextera',
  name: 'Plextera',
  credential: {
    variable: 'PLEXTERA_WEBHOOK_SECRET',
    what: 'one or more signing secrets, comma-separated (rotation)',
    where: 'the signingSecret you chose when creating the event subscription',
    example: (random) => random,
  },
  auth: timestampedHmac('x-plextera-signature'),
  keptHeaders: ['x-plextera-event-id', 'x-plextera-delivery-id', 'x-plextera-event-type', 'x-plextera-event-occurred-at'],
  // The body's eventId equals X-Plextera-Event-Id; X-Plextera-Delivery-Id changes per retry and is no key.
  eventId: (payload) => idAt(payload, ['eventId']),
  normalize,
  stuckAfter: { defaultSeconds: 6 * 3_600, why: 'moot: Plextera sends finished runs only, so none is ever stuck' },
  sample: { payload: sample, idPath: ['eventId'] },
  docs: {
    summary: 'Plextera workflow-run and document-extraction events',
    authentication: '`X-Plextera-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 over `<t>.<body>`',
    eventKey: '`plextera:<eventId>`',
    headers: [{ name: 'X-Plextera-Event-Id', description: 'The event id, equal to `eventId` in the body' }],
    statuses: '`*.completed` / `*.failed` / `*.rejected` → succeeded / failed / failed',
  },
};
