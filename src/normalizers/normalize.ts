import sjson from 'secure-json-parse';
import { NormalizeError } from '../shared/errors.ts';
import { isProviderId, type ProviderId } from '../shared/providers.ts';
import { normalizedEventSchema, type NormalizedEvent } from './normalized-event.ts';
import type { Normalizer, RawEvent } from './normalizer.ts';
import { describeIssue } from './parse-payload.ts';
import { persona } from './persona.ts';
import { personaclick } from './personaclick.ts';
import { plextera } from './plextera.ts';
import { primer } from './primer.ts';
import { reachfive } from './reachfive.ts';

export const normalizers: Readonly<Record<ProviderId, Normalizer>> = Object.freeze({
  persona,
  personaclick,
  primer,
  plextera,
  reachfive,
});

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function parseBody(provider: ProviderId, body: string): unknown {
  try {
    const parsed: unknown = sjson.parse(body, undefined, { protoAction: 'remove', constructorAction: 'remove' });
    return parsed;
  } catch (error) {
    const reason = error instanceof Error ? `: ${oneLine(error.message).slice(0, 200)}` : '';
    throw new NormalizeError(`${provider}: body is not valid JSON${reason}`, { cause: error });
  }
}

/**
 * The normalized event for one stored request, or a NormalizeError saying why there is none. The
 * result is checked against the schema, so a normalizer's bug surfaces here and never as a bad event.
 */
export function normalize(raw: RawEvent): NormalizedEvent {
  const provider: string = raw.provider;
  if (!isProviderId(provider)) throw new NormalizeError(`no normalizer for provider '${provider}'`);
  const payload = parseBody(provider, raw.body);
  let event: NormalizedEvent;
  try {
    event = normalizers[provider].normalize(payload, raw);
  } catch (error) {
    if (error instanceof NormalizeError) throw error;
    // Normalizers are pure, so a retry would fail the same way: keep the event as unnormalizable.
    const reason = error instanceof Error ? oneLine(error.message) : String(error);
    throw new NormalizeError(`${provider}: normalizer failed: ${reason}`, { cause: error });
  }
  const checked = normalizedEventSchema.safeParse(event);
  if (!checked.success) {
    throw new NormalizeError(`${provider}: normalized event is invalid: ${describeIssue(checked.error)}`, {
      cause: checked.error,
    });
  }
  if (checked.data.provider !== provider || checked.data.id !== raw.key) {
    throw new NormalizeError(`${provider}: normalized event has the wrong provider or id`);
  }
  return checked.data;
}
