import { bodyHmac } from '../auth/body-hmac.ts';
import { asId, pick, type ProviderIngress } from './provider-ingress.ts';

const CONNECTION_TEST_MESSAGE = 'Testing your webhook connection';

export const primer: ProviderIngress = {
  id: 'primer',
  auth: bodyHmac({ headers: ['x-signature-primary', 'x-signature-secondary'], timestampField: 'signedAt' }),
  // Primer sends no event id; one FAILED webhook is expected per run (date and signedAt may vary per attempt).
  eventId(payload) {
    const eventType = asId(pick(payload, ['eventType']));
    const runId = asId(pick(payload, ['run', 'id']));
    return eventType && runId ? `${eventType}:${runId}` : undefined;
  },
  keptHeaders: [],
  isConnectionTest: (payload) =>
    pick(payload, ['message']) === CONNECTION_TEST_MESSAGE && pick(payload, ['eventType']) === undefined,
};
