import { EVENT_STATUSES, type EventStatus } from '../normalizers/normalized-event.ts';
import { PROVIDER_IDS, isProviderId, type ProviderId } from '../providers/registry.ts';
import { parseTimeInput } from './time-input.ts';

/** Filter values typed by an operator (CLI flags, query strings) that make no sense. */
export class FilterInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterInputError';
  }
}

export function providerInput(value: string | undefined): ProviderId | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isProviderId(value)) throw new FilterInputError(`unknown provider "${value}"; expected one of ${PROVIDER_IDS.join(', ')}`);
  return value;
}

export function statusInput(value: string | undefined): EventStatus | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(EVENT_STATUSES as readonly string[]).includes(value)) {
    throw new FilterInputError(`unknown status "${value}"; expected one of ${EVENT_STATUSES.join(', ')}`);
  }
  return value as EventStatus;
}

const DESTINATION = /^(database|slack|email)(-[a-z0-9_-]+)?$|^ingest$/;

/** `slack`, `database,email`, a route's destination id (`slack-crm`), or `ingest` for events that could not be normalized. */
export function sinksInput(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.find((name) => !DESTINATION.test(name));
  if (unknown !== undefined) {
    throw new FilterInputError(`unknown sink "${unknown}"; expected database, slack, email, a destination id such as slack-crm, or ingest`);
  }
  return names;
}

export function timeInput(name: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = parseTimeInput(value);
  if (!parsed) throw new FilterInputError(`${name}: expected an age like 15m, 2h, 3d or an ISO 8601 time (got "${value}")`);
  return parsed;
}

export function limitInput(value: string | undefined, max = 1_000): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new FilterInputError(`limit: expected a whole number from 1 to ${max}`);
  return Math.min(Number(value), max);
}
