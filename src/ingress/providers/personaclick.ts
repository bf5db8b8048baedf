import { queryToken } from '../auth/query-token.ts';
import type { ProviderIngress } from './provider-ingress.ts';

export const personaclick: ProviderIngress = {
  id: 'personaclick',
  auth: queryToken(),
  // No event id exists: the key falls back to the body hash, remembered for a shorter window.
  eventId: () => undefined,
  keptHeaders: [],
};
