import type { EventStatus } from './normalized-event.ts';
import { oneLine, truncate } from '../shared/text.ts';

const VERBS: Readonly<Record<EventStatus, string>> = {
  started: 'started',
  running: 'is running',
  paused: 'was paused',
  resumed: 'resumed',
  canceled: 'was canceled',
  succeeded: 'succeeded',
  partial: 'finished with errors',
  failed: 'failed',
};

// The summary is the line read at a glance; the full error message stays in `error.message`.
const MAX_DETAIL_LENGTH = 280;

/** What a normalizer says of an event; the provider's name is put in front by summarize. */
export type SummaryParts = {
  /** What ran, in words: "import", "workflow", "product import". */
  what: string;
  /** A name is quoted, a bare id is not; neither when the event names no single thing. */
  label?: { name?: string | undefined; id: string } | undefined;
  status: EventStatus;
  /** Replaces the status verb where the provider says something more precise ("was rejected"). */
  verb?: string | undefined;
  detail?: string | undefined;
};


/**
 * One sentence, the same shape for every provider: provider, what ran, which one, what happened,
 * and why. "Persona import 'Customer Data Import' failed: 150 of 150 rows errored".
 */
export function summarize(providerName: string, parts: SummaryParts): string {
  const label = parts.label ? (parts.label.name ? `'${parts.label.name}'` : parts.label.id) : undefined;
  const head = [providerName, parts.what, label, parts.verb ?? VERBS[parts.status]]
    .filter((word) => word !== undefined)
    .join(' ');
  const detail = parts.detail === undefined ? '' : truncate(oneLine(parts.detail), MAX_DETAIL_LENGTH);
  return oneLine(detail ? `${head}: ${detail}` : head);
}
