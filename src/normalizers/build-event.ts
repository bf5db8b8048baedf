import type { RawEvent } from '../queue/contract.ts';
import { displayText } from '../queue/raw-body.ts';
import type { EventCategory, EventStatus, NormalizedEvent } from './normalized-event.ts';
import { summarize, type SummaryParts } from './summary.ts';
import { firstTimestamp } from './time.ts';

type Ref = { id: string; name?: string | undefined };
type Counts = NonNullable<NormalizedEvent['counts']>;
type ErrorInfo = { code?: string | undefined; message: string; step?: string | undefined };

/** What a provider's normalize function says of one event; src/normalizers/normalize.ts adds the rest. */
export type EventFields = {
  type: string;
  category: EventCategory;
  status: EventStatus;
  /** Timestamps from the payload, best first; the first valid one is occurredAt, else receivedAt. */
  occurredAt: readonly unknown[];
  subject: Ref;
  parent?: Ref | undefined;
  counts?: { [K in keyof Counts]?: number | undefined } | undefined;
  error?: ErrorInfo | undefined;
  /** The summary sentence without the provider's name, which summarize puts in front. */
  summary: SummaryParts;
};

/**
 * Without keys holding undefined, and with every string as readers should see it: a value read from
 * a body that is not valid UTF-8 holds its bytes escaped (src/queue/raw-body.ts), shown as U+FFFD.
 */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .map(([key, entry]) => [key, typeof entry === 'string' ? displayText(entry) : entry]),
  ) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** The event with what the ingress decided (key, provider, receivedAt) and no keys holding undefined. */
export function buildEvent(raw: RawEvent, providerName: string, fields: EventFields): NormalizedEvent {
  const counts = fields.counts ? defined(fields.counts) : {};
  return {
    id: raw.key,
    provider: raw.provider,
    type: displayText(fields.type),
    category: fields.category,
    status: fields.status,
    occurredAt: firstTimestamp(fields.occurredAt, raw.receivedAt),
    receivedAt: raw.receivedAt,
    subject: defined(fields.subject),
    ...(fields.parent ? { parent: defined(fields.parent) } : {}),
    ...(Object.keys(counts).length > 0 ? { counts } : {}),
    ...(fields.error ? { error: defined(fields.error) } : {}),
    summary: displayText(summarize(providerName, fields.summary)),
  };
}
