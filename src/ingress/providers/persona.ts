import { timestampedHmac } from '../auth/timestamped-hmac.ts';
import { asId, pick, type ProviderIngress } from './provider-ingress.ts';

export const persona: ProviderIngress = {
  id: 'persona',
  auth: timestampedHmac('persona-signature'),
  eventId: (payload) => asId(pick(payload, ['data', 'id'])),
  keptHeaders: ['persona-webhook-attempts-made', 'persona-webhook-attempts-left', 'persona-webhook-first-attempted-at'],
};
