import { normalizedEventSchema, type NormalizedEvent } from '../../src/normalizers/normalized-event.ts';

/** A valid normalized event (checked against the schema) with whatever `overrides` change. */
export function sampleEvent(overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return normalizedEventSchema.parse({
    id: 'persona:evt_ABC123DEF456',
    provider: 'persona',
    type: 'importer-pipeline-run.errored',
    category: 'import',
    status: 'failed',
    occurredAt: '2024-01-16T02:14:09.118Z',
    receivedAt: '2024-01-16T02:14:10.000Z',
    subject: { id: 'mprtpr_ABC123DEF456', name: 'Customer Data Import' },
    parent: { id: 'mprtp_PIPE1', name: 'Nightly CRM sync' },
    counts: { total: 10, succeeded: 8, failed: 2 },
    error: { code: 'E_ROWS', message: 'Row 7: email is not valid', step: 'validate' },
    summary: 'Persona import "Customer Data Import" failed: Row 7: email is not valid',
    ...overrides,
  });
}

export function sampleRaw(event: NormalizedEvent): string {
  return JSON.stringify({ data: { id: event.id.split(':').pop(), attributes: { name: event.type } } });
}
