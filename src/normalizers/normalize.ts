import { NormalizeError } from '../shared/errors.ts';
import { parseUntrustedJson } from '../shared/json.ts';
import { flat } from '../shared/text.ts';
import type { RawEvent } from '../queue/contract.ts';
import { findProvider } from '../providers/registry.ts';
import { buildEvent } from './build-event.ts';
import { normalizedEventSchema, type NormalizedEvent } from './normalized-event.ts';
import { describeIssue } from './parse-payload.ts';

function parseBody(body: string): unknown {
  try {
    return parseUntrustedJson(body);
  } catch (error) {
    const reason = error instanceof Error ? `: ${flat(error.message).slice(0, 200)}` : '';
    throw new NormalizeError(`body is not valid JSON${reason}`, { cause: error });
  }
}

/**
 * The normalized event for one stored request, or a NormalizeError saying why there is none, its
 * message starting with the provider. The result is checked against the schema, so a normalizer's
 * bug surfaces here and never as a bad event.
 */
export function normalize(raw: RawEvent): NormalizedEvent {
  const provider = findProvider(raw.provider);
  if (!provider) throw new NormalizeError(`no normalizer for provider '${String(raw.provider)}'`);
  let event: NormalizedEvent;
  try {
    event = buildEvent(raw, provider.name, provider.normalize(parseBody(raw.body), raw));
  } catch (error) {
    if (error instanceof NormalizeError) throw new NormalizeError(`${provider.id}: ${error.message}`, { cause: error.cause });
    // Normalizers are pure, so a retry would fail the same way: keep the event as unnormalizable.
    const reason = error instanceof Error ? flat(error.message) : String(error);
    throw new NormalizeError(`${provider.id}: normalizer failed: ${reason}`, { cause: error });
  }
  const checked = normalizedEventSchema.safeParse(event);
  if (!checked.success) {
    throw new NormalizeError(`${provider.id}: normalized event is invalid: ${describeIssue(checked.error)}`, {
      cause: checked.error,
    });
  }
  return checked.data;
}
