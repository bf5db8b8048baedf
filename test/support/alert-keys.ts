/**
 * The event keys a message names, among the keys a test sent. Messages name keys verbatim (SPEC
 * section 6), inside prose or `code`; a key is counted when it stands as a whole token, so
 * `reachfive:job_1` is not found inside `reachfive:job_10`.
 */
export function keysIn(text: string, expected: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const raw of text.split(/[\s`()<>|[\],;"'*]+/)) {
    const token = raw.replace(/[.:…]+$/, '');
    if (expected.has(token)) found.push(token);
    else if (expected.has(raw)) found.push(raw);
  }
  return [...new Set(found)];
}

/** How many messages named each key. */
export function countKeys(texts: readonly string[], expected: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const key of keysIn(text, expected)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}
