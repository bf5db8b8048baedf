import type { EventStatus, NormalizedEvent } from '../normalizers/normalized-event.ts';

/** Words shared by the Slack and email messages, so both describe an event the same way. */

export const STATUS_EMOJI: Readonly<Record<EventStatus, string>> = {
  started: ':arrow_forward:',
  running: ':hourglass_flowing_sand:',
  paused: ':double_vertical_bar:',
  resumed: ':arrow_forward:',
  canceled: ':no_entry_sign:',
  succeeded: ':white_check_mark:',
  partial: ':warning:',
  failed: ':x:',
};

export function statusLabel(status: EventStatus): string {
  return status.toUpperCase();
}

/** "Customer Data Import (mprtpr_ABC)", or the id alone when there is no name. */
export function refLabel(ref: { id: string; name?: string | undefined }): string {
  return ref.name && ref.name !== ref.id ? `${ref.name} (${ref.id})` : ref.id;
}

/** "total 10 · succeeded 8 · failed 2", or undefined when the event has no counts. */
export function countsLabel(counts: NormalizedEvent['counts']): string | undefined {
  if (!counts) return undefined;
  const parts = (['total', 'succeeded', 'failed', 'created', 'updated'] as const)
    .filter((key) => counts[key] !== undefined)
    .map((key) => `${key} ${counts[key]}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** "[E_ROWS] step validate: 12 rows rejected". */
export function errorLabel(error: NormalizedEvent['error']): string | undefined {
  if (!error) return undefined;
  const prefix = [error.code ? `[${error.code}]` : undefined, error.step ? `step ${error.step}:` : undefined]
    .filter(Boolean)
    .join(' ');
  return prefix ? `${prefix} ${error.message}` : error.message;
}

