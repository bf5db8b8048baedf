import { z } from 'zod';

/*
 * Field schemas shared by the normalizers. Identity fields (the subject's id, the event type) are
 * strict: without them there is no event. Descriptive fields (names, messages, counts) are lenient:
 * a malformed one is dropped, because losing the alert over a cosmetic field helps nobody.
 */

/** An id sent as a string or an integer (providers disagree with their own docs); always a string. */
export const requiredId = z
  .union([z.string(), z.number().int()], { error: 'expected a string or an integer' })
  .transform((value) => String(value).trim())
  .pipe(z.string().min(1, 'expected a non-empty id'));

/** A non-blank string (trimmed) or a safe integer, as a string; anything else is no id. */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

function asText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function asCount(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/** A string or integer id, or undefined when absent or unusable. */
export const optionalId = z.unknown().optional().transform(asId);
/** A non-blank string, trimmed, or undefined. */
export const optionalText = z.unknown().optional().transform(asText);
/** A non-negative integer (a digit string counts too), or undefined. */
export const optionalCount = z.unknown().optional().transform(asCount);
/** Kept as sent; time.ts decides whether it is a usable timestamp. */
export const optionalTimestamp = z.unknown().optional();

/** An optional nested object whose own fields are lenient: anything that is not an object reads as absent. */
export function optionalObject<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.looseObject(shape).optional().catch(undefined);
}
