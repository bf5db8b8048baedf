import type { ProviderId } from '../shared/providers.ts';
import type { EventStatus } from './normalized-event.ts';

const PROVIDER_NAMES: Readonly<Record<ProviderId, string>> = {
  persona: 'Persona',
  personaclick: 'PersonaClick',
  primer: 'Primer',
  plextera: 'Plextera',
  reachfive: 'ReachFive',
};

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

export type SummaryParts = {
  provider: ProviderId;
  /** What ran, in words: "import", "workflow", "product import". */
  what: string;
  /** A name is quoted, a bare id is not; neither when the event names no single thing. */
  label?: { name?: string | undefined; id: string } | undefined;
  status: EventStatus;
  /** Replaces the status verb where the provider says something more precise ("was rejected"). */
  verb?: string | undefined;
  detail?: string | undefined;
};

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/**
 * One sentence, the same shape for every provider: provider, what ran, which one, what happened,
 * and why. "Persona import 'Customer Data Import' failed: 150 of 150 rows errored".
 */
export function summarize(parts: SummaryParts): string {
  const label = parts.label ? (parts.label.name ? `'${parts.label.name}'` : parts.label.id) : undefined;
  const head = [PROVIDER_NAMES[parts.provider], parts.what, label, parts.verb ?? VERBS[parts.status]]
    .filter((word) => word !== undefined)
    .join(' ');
  const detail = parts.detail === undefined ? '' : shorten(oneLine(parts.detail), MAX_DETAIL_LENGTH);
  return oneLine(detail ? `${head}: ${detail}` : head);
}
