/**
 * The event keys a message names, among the keys a run sent (the same tokenization as
 * test/support/alert-keys.ts, kept here so the bench does not depend on the test helpers). Messages
 * name keys verbatim, inside prose or `code`; a key counts when it stands as a whole token, so
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
