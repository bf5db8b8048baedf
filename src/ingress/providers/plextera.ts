import { timestampedHmac } from '../auth/timestamped-hmac.ts';
import { asId, pick, type ProviderIngress } from './provider-ingress.ts';

export const plextera: ProviderIngress = {
  id: 'plextera',
  auth: timestampedHmac('x-plextera-signature'),
  // The body's eventId equals X-Plextera-Event-Id; X-Plextera-Delivery-Id changes per retry and is no key.
  eventId: (payload) => asId(pick(payload, ['eventId'])),
  keptHeaders: ['x-plextera-event-id', 'x-plextera-delivery-id', 'x-plextera-event-type', 'x-plextera-event-occurred-at'],
};
