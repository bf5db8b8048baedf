import { staticHeader } from '../auth/static-header.ts';
import { asId, pick, type ProviderIngress } from './provider-ingress.ts';

export const reachfive: ProviderIngress = {
  id: 'reachfive',
  auth: staticHeader('authorization'),
  // Documented as an integer, sent as an opaque string: either way it becomes a string.
  eventId: (payload) => asId(pick(payload, ['id'])),
  keptHeaders: [],
};
