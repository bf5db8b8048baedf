/**
 * The tokens of a message's text: keys are named verbatim (SPEC section 6), inside prose or `code`,
 * so a key is a whole token and `reachfive:job_1` is never found inside `reachfive:job_10`.
 * Shared by the tests, the faults ledgers and the bench's stand-ins.
 */
export function messageTokens(text: string): Array<{ token: string; raw: string }> {
  return text.split(/[\s`()<>|[\],;"'*]+/).map((raw) => ({ token: raw.replace(/[.:…]+$/, ''), raw }));
}

/** The event keys a message names, among the keys a test sent (a key may itself end in `.` or `:`). */
export function keysIn(text: string, expected: ReadonlySet<string>): string[] {
  const found = messageTokens(text).flatMap(({ token, raw }) => (expected.has(token) ? [token] : expected.has(raw) ? [raw] : []));
  return [...new Set(found)];
}

/** How many messages named each key. */
export function countKeys(texts: readonly string[], expected: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const key of keysIn(text, expected)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}
