import { z } from 'zod';
import { NormalizeError } from '../../shared/errors.ts';
import type { EventFields } from '../../normalizers/build-event.ts';
import { optionalId, optionalObject, optionalText, optionalTimestamp, requiredId } from '../../normalizers/fields.ts';
import type { EventStatus } from '../../normalizers/normalized-event.ts';
import { parsePayload } from '../../normalizers/parse-payload.ts';

// Only FAILED is sent today; Primer says COMPLETED "might become an additional option".
const STATUS_BY_EVENT: Readonly<Record<string, EventStatus>> = {
  'WORKFLOW_RUN.FAILED': 'failed',
  'WORKFLOW_RUN.COMPLETED': 'succeeded',
};

const envelopeSchema = z.looseObject({ eventType: z.string() });

// The guide's field table spells it "aplicationId"; the API reference example has "applicationId".
const lastErrorSchema = optionalObject({
  applicationId: optionalText,
  aplicationId: optionalText,
  actionId: optionalText,
  message: optionalText,
});

const payloadSchema = z.looseObject({
  date: optionalTimestamp,
  workflow: optionalObject({ id: optionalId, name: optionalText }),
  run: z.looseObject({ id: requiredId, timestamp: optionalTimestamp, lastError: lastErrorSchema }),
  // The API reference nests lastError in `run`; the guide lists it at the top level. Both are read.
  lastError: lastErrorSchema,
});

export function normalize(payload: unknown): EventFields {
  const { eventType } = parsePayload(envelopeSchema, payload);
  const status = Object.hasOwn(STATUS_BY_EVENT, eventType) ? STATUS_BY_EVENT[eventType] : undefined;
  if (status === undefined) throw new NormalizeError(`unknown event type '${eventType}'`);

  const body = parsePayload(payloadSchema, payload);
  const lastError = body.run.lastError ?? body.lastError;
  const workflowId = body.workflow?.id;
  const parent = workflowId === undefined ? undefined : { id: workflowId, name: body.workflow?.name };
  const subject = { id: body.run.id };
  const error =
    status === 'failed'
      ? {
          code: lastError?.applicationId ?? lastError?.aplicationId,
          message:
            lastError?.message ?? (lastError?.actionId ? `action '${lastError.actionId}' failed` : 'workflow run failed'),
          step: lastError?.actionId,
        }
      : undefined;

  return {
    type: eventType,
    category: 'workflow',
    status,
    // run.timestamp is when the run failed; date is when the webhook was sent.
    occurredAt: [body.run.timestamp, body.date],
    subject,
    parent,
    error,
    summary: {
      what: 'workflow',
      label: { name: parent?.name, id: parent?.id ?? subject.id },
      status,
      detail: lastError?.message,
    },
  };
}
