import { z } from 'zod';
import { NormalizeError } from '../../shared/errors.ts';
import type { EventFields } from '../../normalizers/build-event.ts';
import { optionalId, optionalText } from '../../normalizers/fields.ts';
import type { EventCategory, EventStatus } from '../../normalizers/normalized-event.ts';
import { parsePayload } from '../../normalizers/parse-payload.ts';

type Kind = 'task' | 'segment' | 'campaign' | 'item';
type Ids = Partial<Record<Kind, string>>;
/** `id` is kind-qualified (`segment:100500`); `shown` is the bare id, for sentences. */
type Ref = { id: string; shown: string };

type Operation = {
  category: EventCategory;
  what: string;
  /**
   * The subject is the thing whose outcome this is (the import task, the recalculated segment, the
   * campaign); the parent is what it worked on, when the payload names both.
   */
  refs(ids: Ids): { subject?: Ref | undefined; parent?: Ref | undefined; unlabelled?: boolean };
};

/**
 * PersonaClick numbers tasks, segments, campaigns and products separately (its own samples use
 * 100500 for a segment, a campaign and a product alike), while job_runs keeps one row per
 * (provider, subject_id): the kind goes into the id so that unrelated things never share a row.
 */
const ref = (kind: Kind, id: string | undefined): Ref | undefined => (id === undefined ? undefined : { id: `${kind}:${id}`, shown: id });

const OPERATIONS: Readonly<Record<string, Operation>> = {
  import_products: {
    category: 'import',
    what: 'product import',
    // A failed product import may name only the product it failed on (item_id), not the task: the
    // product then stands in as subject, but the summary does not present it as the import.
    refs: (ids) =>
      ids.task === undefined ? { subject: ref('item', ids.item), unlabelled: true } : { subject: ref('task', ids.task) },
  },
  import_segment: {
    category: 'import',
    what: 'segment import',
    refs: (ids) =>
      ids.task === undefined ? { subject: ref('segment', ids.segment) } : { subject: ref('task', ids.task), parent: ref('segment', ids.segment) },
  },
  segment_recalculated_dynamic: {
    category: 'segment',
    what: 'dynamic segment recalculation',
    refs: (ids) => ({ subject: ref('segment', ids.segment) ?? ref('task', ids.task) }),
  },
  segment_recalculated_rfm: {
    category: 'segment',
    what: 'RFM segment recalculation',
    refs: (ids) => ({ subject: ref('segment', ids.segment) ?? ref('task', ids.task) }),
  },
  bulk_campaign: {
    category: 'campaign',
    what: 'bulk campaign',
    refs: (ids) => ({ subject: ref('campaign', ids.campaign) ?? ref('task', ids.task) }),
  },
};

// The docs' tables spell success "succes"; their examples spell it "success".
const STATUSES: Readonly<Record<string, EventStatus>> = {
  success: 'succeeded',
  succes: 'succeeded',
  error: 'failed',
  failed: 'failed',
  spam: 'failed',
};

const envelopeSchema = z.looseObject({ operation: z.string(), status: z.string() });

const payloadSchema = z.looseObject({
  message: optionalText,
  task_id: optionalId,
  segment_id: optionalId,
  bulk_campaign_id: optionalId,
  item_id: optionalId,
});

export function normalize(payload: unknown): EventFields {
  const { operation: type, status: sentStatus } = parsePayload(envelopeSchema, payload);
  const operation = Object.hasOwn(OPERATIONS, type) ? OPERATIONS[type] : undefined;
  if (operation === undefined) throw new NormalizeError(`unknown operation '${type}'`);
  const statusWord = sentStatus.trim().toLowerCase();
  const status = Object.hasOwn(STATUSES, statusWord) ? STATUSES[statusWord] : undefined;
  if (status === undefined) {
    throw new NormalizeError(`unknown status '${sentStatus}' for operation '${type}'`);
  }

  const body = parsePayload(payloadSchema, payload);
  const ids = { task: body.task_id, segment: body.segment_id, campaign: body.bulk_campaign_id, item: body.item_id };
  const refs = operation.refs(ids);
  // PersonaClick sends no timestamp and maybe no id: the operation then stands for its own subject,
  // so job_runs still holds "the latest outcome of this operation".
  const subject = { id: refs.subject?.id ?? type };
  const label = refs.subject === undefined || refs.unlabelled ? undefined : { id: refs.subject.shown };

  const reason = body.message ?? (statusWord === 'spam' ? 'blocked as spam' : undefined);
  const error = status === 'failed' ? { message: reason ?? `${operation.what} failed` } : undefined;

  return {
    type,
    category: operation.category,
    status,
    occurredAt: [],
    subject,
    parent: refs.parent && { id: refs.parent.id },
    error,
    summary: {
      what: operation.what,
      label,
      status,
      detail: status === 'failed' ? reason : undefined,
    },
  };
}
