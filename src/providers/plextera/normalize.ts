import { z } from 'zod';
import { NormalizeError } from '../../shared/errors.ts';
import type { EventFields } from '../../normalizers/build-event.ts';
import { optionalId, optionalObject, optionalText, optionalTimestamp, requiredId } from '../../normalizers/fields.ts';
import type { EventStatus } from '../../normalizers/normalized-event.ts';
import { parsePayload } from '../../normalizers/parse-payload.ts';

type Kind = 'workflow' | 'extraction';
type Outcome = 'completed' | 'failed' | 'rejected';

// document-insights.job.* are the older names still used by Plextera's dev environment.
const EVENTS: Readonly<Record<string, { kind: Kind; outcome: Outcome }>> = {
  'workflow.run.completed': { kind: 'workflow', outcome: 'completed' },
  'workflow.run.failed': { kind: 'workflow', outcome: 'failed' },
  'document-insights.extraction.completed': { kind: 'extraction', outcome: 'completed' },
  'document-insights.extraction.failed': { kind: 'extraction', outcome: 'failed' },
  'document-insights.extraction.rejected': { kind: 'extraction', outcome: 'rejected' },
  'document-insights.job.completed': { kind: 'extraction', outcome: 'completed' },
  'document-insights.job.failed': { kind: 'extraction', outcome: 'failed' },
  'document-insights.job.rejected': { kind: 'extraction', outcome: 'rejected' },
};

const STATUS: Readonly<Record<Outcome, EventStatus>> = { completed: 'succeeded', failed: 'failed', rejected: 'failed' };

const envelopeSchema = z.looseObject({ eventType: z.string() });
const errorSchema = optionalObject({ code: optionalText, message: optionalText });

const workflowRunSchema = z.looseObject({
  occurredAt: optionalTimestamp,
  data: z.looseObject({
    runId: requiredId,
    workflowId: optionalId,
    workflow: optionalObject({ id: optionalId, name: optionalText }),
    steps: z.array(z.unknown()).optional().catch(undefined),
    error: errorSchema,
    completedAt: optionalTimestamp,
  }),
});

const stepSchema = z.looseObject({ id: optionalId, name: optionalText, status: optionalText, message: optionalText });

const extractionSchema = z.looseObject({
  occurredAt: optionalTimestamp,
  data: z.looseObject({
    extractionId: optionalId,
    jobId: optionalId,
    document: optionalObject({ fileName: optionalText }),
    error: errorSchema,
    completedAt: optionalTimestamp,
  }),
});

/** The last step reported FAILED: the one the run stopped at. */
function failedStep(steps: readonly unknown[] | undefined): z.output<typeof stepSchema> | undefined {
  return (steps ?? [])
    .map((step) => stepSchema.safeParse(step))
    .flatMap((parsed) => (parsed.success ? [parsed.data] : []))
    .findLast((step) => step.status?.toUpperCase() === 'FAILED');
}

function workflowRun(payload: unknown, type: string, outcome: Outcome): EventFields {
  const { occurredAt, data } = parsePayload(workflowRunSchema, payload);
  const status = STATUS[outcome];
  const step = failedStep(data.steps);
  const workflowId = data.workflow?.id ?? data.workflowId;
  const parent = workflowId === undefined ? undefined : { id: workflowId, name: data.workflow?.name };
  const subject = { id: data.runId };
  const message = data.error?.message ?? step?.message;
  // progress.stepsCompleted/stepsTotal count steps, not items processed, so they are not `counts`.
  const error =
    status === 'failed'
      ? { code: data.error?.code, message: message ?? 'workflow run failed', step: step?.name ?? step?.id }
      : undefined;
  return {
    type,
    category: 'workflow',
    status,
    occurredAt: [occurredAt, data.completedAt],
    subject,
    parent,
    error,
    summary: {
      what: 'workflow',
      label: { name: parent?.name, id: parent?.id ?? subject.id },
      status,
      detail: status === 'failed' ? message : undefined,
    },
  };
}

function extraction(payload: unknown, type: string, outcome: Outcome): EventFields {
  const { occurredAt, data } = parsePayload(extractionSchema, payload);
  const isOlderJob = type.startsWith('document-insights.job.');
  const id = isOlderJob ? (data.jobId ?? data.extractionId) : (data.extractionId ?? data.jobId);
  if (id === undefined) {
    throw new NormalizeError(`data.${isOlderJob ? 'jobId' : 'extractionId'}: expected a string or an integer`);
  }
  const status = STATUS[outcome];
  const subject = { id, name: data.document?.fileName };
  const message = data.error?.message;
  const error =
    status === 'failed'
      ? {
          code: data.error?.code,
          message: message ?? (outcome === 'rejected' ? 'extraction rejected' : 'extraction failed'),
        }
      : undefined;
  return {
    type,
    category: 'extraction',
    status,
    occurredAt: [occurredAt, data.completedAt],
    subject,
    error,
    summary: {
      what: 'document extraction',
      label: subject,
      status,
      verb: outcome === 'rejected' ? 'was rejected' : undefined,
      detail: status === 'failed' ? message : undefined,
    },
  };
}

export function normalize(payload: unknown): EventFields {
  const { eventType } = parsePayload(envelopeSchema, payload);
  const event = Object.hasOwn(EVENTS, eventType) ? EVENTS[eventType] : undefined;
  if (event === undefined) throw new NormalizeError(`unknown event type '${eventType}'`);
  return event.kind === 'workflow'
    ? workflowRun(payload, eventType, event.outcome)
    : extraction(payload, eventType, event.outcome);
}
