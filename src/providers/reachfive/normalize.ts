import { z } from 'zod';
import { NormalizeError } from '../../shared/errors.ts';
import type { EventFields } from '../../normalizers/build-event.ts';
import { optionalCount, optionalId, optionalText, optionalTimestamp, requiredId } from '../../normalizers/fields.ts';
import type { EventCategory, EventStatus } from '../../normalizers/normalized-event.ts';
import { parsePayload } from '../../normalizers/parse-payload.ts';

const CATEGORIES: Readonly<Record<string, EventCategory>> = { import: 'import', export: 'export' };
const JOB_STATUSES = ['SUCCESS', 'FAILURE', 'RUNNING'] as const;

const envelopeSchema = z.looseObject({ type: z.string(), status: z.string() });

const payloadSchema = z.looseObject({
  // Documented as an integer, sent as an opaque string.
  id: requiredId,
  created_at: optionalTimestamp,
  updated_at: optionalTimestamp,
  total_operations: optionalCount,
  total_succeeded: optionalCount,
  total_failed: optionalCount,
  definition_id: optionalId,
  definition_name: optionalText,
});

function jobStatus(sent: (typeof JOB_STATUSES)[number], failed: number | undefined): EventStatus {
  if (sent === 'FAILURE') return 'failed';
  if (sent === 'RUNNING') return 'running';
  return failed !== undefined && failed > 0 ? 'partial' : 'succeeded';
}

function operationsFailed(failed: number | undefined, total: number | undefined): string | undefined {
  if (failed === undefined || failed === 0) return undefined;
  return total === undefined ? `${failed} operations failed` : `${failed} of ${total} operations failed`;
}

export function normalize(payload: unknown): EventFields {
  const envelope = parsePayload(envelopeSchema, payload);
  const category = Object.hasOwn(CATEGORIES, envelope.type) ? CATEGORIES[envelope.type] : undefined;
  if (category === undefined) throw new NormalizeError(`unknown job type '${envelope.type}'`);
  const sentStatus = JOB_STATUSES.find((status) => status === envelope.status);
  if (sentStatus === undefined) throw new NormalizeError(`unknown job status '${envelope.status}'`);

  const job = parsePayload(payloadSchema, payload);
  const counts = { total: job.total_operations, succeeded: job.total_succeeded, failed: job.total_failed };
  const status = jobStatus(sentStatus, counts.failed);
  const failures = operationsFailed(counts.failed, counts.total);
  const error =
    status === 'failed' || status === 'partial' ? { message: failures ?? `${envelope.type} job failed` } : undefined;
  const parent =
    job.definition_id === undefined ? undefined : { id: job.definition_id, name: job.definition_name };

  return {
    type: envelope.type,
    category,
    status,
    // updated_at is when the job ended (or last moved, while RUNNING).
    occurredAt: [job.updated_at, job.created_at],
    subject: { id: job.id },
    parent,
    counts,
    error,
    summary: {
      what: envelope.type,
      label: { name: job.definition_name, id: job.id },
      status,
      detail: failures,
    },
  };
}
