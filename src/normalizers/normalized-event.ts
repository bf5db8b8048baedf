import { z } from 'zod';
import { PROVIDER_IDS } from '../providers/registry.ts';

export const EVENT_STATUSES = [
  'started',
  'running',
  'paused',
  'resumed',
  'canceled',
  'succeeded',
  'partial',
  'failed',
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const EVENT_CATEGORIES = ['import', 'export', 'workflow', 'extraction', 'segment', 'campaign'] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

const isoUtc = z.iso.datetime({ offset: false });
const ref = z.strictObject({ id: z.string().min(1), name: z.string().optional() });
const count = z.number().int().nonnegative();

/** SPEC.md section 5: the one shape every provider's event becomes. */
export const normalizedEventSchema = z.strictObject({
  id: z.string().min(1),
  provider: z.enum(PROVIDER_IDS),
  type: z.string().min(1),
  category: z.enum(EVENT_CATEGORIES),
  status: z.enum(EVENT_STATUSES),
  occurredAt: isoUtc,
  receivedAt: isoUtc,
  subject: ref,
  parent: ref.optional(),
  counts: z
    .strictObject({
      total: count.optional(),
      succeeded: count.optional(),
      failed: count.optional(),
      created: count.optional(),
      updated: count.optional(),
    })
    .optional(),
  error: z
    .strictObject({ code: z.string().optional(), message: z.string(), step: z.string().optional() })
    .optional(),
  summary: z.string().min(1),
});

export type NormalizedEvent = z.infer<typeof normalizedEventSchema>;
