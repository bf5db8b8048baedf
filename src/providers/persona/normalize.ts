import { z } from 'zod';
import { NormalizeError } from '../../shared/errors.ts';
import type { EventFields } from '../../normalizers/build-event.ts';
import { optionalCount, optionalId, optionalObject, optionalText, optionalTimestamp, requiredId } from '../../normalizers/fields.ts';
import { camelCaseKeys } from './keys.ts';
import type { EventStatus } from '../../normalizers/normalized-event.ts';
import { parsePayload } from '../../normalizers/parse-payload.ts';

// Mapped on the event name: the run's `status` attribute is documented only for "errored".
const STATUS_BY_EVENT: Readonly<Record<string, EventStatus>> = {
  'importer-pipeline-run.started': 'started',
  'importer-pipeline-run.paused': 'paused',
  'importer-pipeline-run.resumed': 'resumed',
  'importer-pipeline-run.canceled': 'canceled',
  'importer-pipeline-run.completed': 'succeeded',
  'importer-pipeline-run.errored': 'failed',
};

// Keys are read after camelCaseKeys, whatever inflection the webhook was configured with.
const envelopeSchema = z.looseObject({
  data: z.looseObject({ attributes: z.looseObject({ name: z.string() }) }),
});

const runDataSchema = optionalObject({
  rowCount: optionalCount,
  rowsRead: optionalCount,
  successCount: optionalCount,
  errorCount: optionalCount,
  createdCount: optionalCount,
  updatedCount: optionalCount,
});

const includedSchema = z.array(z.unknown()).optional().catch(undefined);
const includedEntrySchema = z.looseObject({
  id: optionalId,
  attributes: optionalObject({ name: optionalText }),
});

const payloadSchema = z.looseObject({
  data: z.looseObject({
    attributes: z.looseObject({
      createdAt: optionalTimestamp,
      payload: z.looseObject({
        data: z.looseObject({
          id: requiredId,
          attributes: optionalObject({ referenceId: optionalText, runData: runDataSchema }),
          relationships: optionalObject({
            importerPipeline: optionalObject({ data: optionalObject({ id: optionalId }) }),
          }),
        }),
        included: includedSchema,
      }),
    }),
  }),
});

/** The name side-loaded in `included[]` for `id`; Persona ids carry a type prefix, so the id alone decides. */
function includedName(included: readonly unknown[] | undefined, id: string): string | undefined {
  for (const entry of included ?? []) {
    const parsed = includedEntrySchema.safeParse(entry);
    if (parsed.success && parsed.data.id === id) return parsed.data.attributes?.name;
  }
  return undefined;
}

type RunCounts = { total?: number; succeeded?: number; failed?: number; created?: number; updated?: number };

function rowsErrored(counts: RunCounts): string {
  if (counts.failed === undefined || counts.failed === 0) return 'import run errored';
  return counts.total === undefined
    ? `${counts.failed} rows errored`
    : `${counts.failed} of ${counts.total} rows errored`;
}

function rowsImported(counts: RunCounts): string | undefined {
  if (counts.total === undefined) return undefined;
  const imported =
    counts.succeeded === undefined ? `${counts.total} rows read` : `${counts.succeeded} of ${counts.total} rows imported`;
  const changes = [
    counts.created === undefined ? undefined : `${counts.created} created`,
    counts.updated === undefined ? undefined : `${counts.updated} updated`,
    counts.failed ? `${counts.failed} errored` : undefined,
  ].filter((part) => part !== undefined);
  return changes.length > 0 ? `${imported} (${changes.join(', ')})` : imported;
}

export function normalize(payload: unknown): EventFields {
  const body = camelCaseKeys(payload);
  const name = parsePayload(envelopeSchema, body).data.attributes.name;
  const status = Object.hasOwn(STATUS_BY_EVENT, name) ? STATUS_BY_EVENT[name] : undefined;
  if (status === undefined) throw new NormalizeError(`unknown event name '${name}'`);

  const event = parsePayload(payloadSchema, body).data.attributes;
  const run = event.payload.data;
  const runData = run.attributes?.runData;
  // row-count is what the run processed; estimated-total-count is a guess made before reading and is not used.
  const counts: RunCounts = {
    total: runData?.rowCount ?? runData?.rowsRead,
    succeeded: runData?.successCount,
    failed: runData?.errorCount,
    created: runData?.createdCount,
    updated: runData?.updatedCount,
  };
  const pipelineId = run.relationships?.importerPipeline?.data?.id;
  const parent =
    pipelineId === undefined ? undefined : { id: pipelineId, name: includedName(event.payload.included, pipelineId) };
  const subject = { id: run.id, name: run.attributes?.referenceId };
  const error = status === 'failed' ? { message: rowsErrored(counts) } : undefined;

  return {
    type: name,
    category: 'import',
    status,
    occurredAt: [event.createdAt],
    subject,
    parent,
    counts,
    error,
    summary: {
      what: 'import',
      label: { name: parent?.name ?? subject.name, id: subject.id },
      status,
      detail: error?.message ?? (status === 'succeeded' ? rowsImported(counts) : undefined),
    },
  };
}
