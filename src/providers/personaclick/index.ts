import { queryToken } from '../auth/query-token.ts';
import type { ProviderDefinition } from '../provider.ts';
import { normalize } from './normalize.ts';
import sample from './sample.json' with { type: 'json' };

/** PersonaClick long processes: imports, segment recalculations, bulk campaigns. */
export const personaclick: ProviderDefinition<'personaclick'> = {
  id: 'personaclick',
  name: 'PersonaClick',
  credential: {
    variable: 'PERSONACLICK_WEBHOOK_TOKEN',
    what: 'one or more tokens, comma-separated',
    where: 'a random token you choose; it goes into the URL as ?token=<token>',
    example: (random) => random,
  },
  auth: queryToken(),
  keptHeaders: [],
  // No event id exists: the key falls back to the body hash, remembered for a shorter window.
  eventId: () => undefined,
  dedupWindow: {
    variable: 'PERSONACLICK_DEDUP_WINDOW_SECONDS',
    defaultSeconds: 3_600,
    why: 'keys are body hashes, and the same body on another day is a real new event (a segment recalculated again)',
  },
  normalize,
  stuckAfter: { defaultSeconds: 6 * 3_600, why: 'moot: PersonaClick sends finished runs only, so none is ever stuck' },
  sample: { payload: sample },
  docs: {
    summary: 'PersonaClick long-process webhooks (imports, segment recalculations, bulk campaigns)',
    authentication: '`?token=<token>` (PersonaClick signs nothing), checked before the body is read',
    eventKey: '`personaclick:<sha256 of the body>`',
    statuses: '`success` (or `succes`) / `error` / `failed` / `spam` → succeeded / failed / failed / failed',
  },
};
