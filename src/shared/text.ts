/**
 * Cuts `text` to at most `max` UTF-16 units with an ellipsis, never inside a surrogate pair (a lone
 * half is invalid in JSON for Slack and in mail headers).
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/**
 * Control characters (CR, LF, NUL…, and the C1 / Unicode line and paragraph separators that some
 * clients also break lines on) out of single-line values such as a mail subject, a header or a line
 * of a text part, so that no payload field can start a line of its own.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g, ' ').trim();
}

/** Any run of whitespace (newlines included) as one space: a name or an error shown on one line. */
export function flat(text: string): string {
  return oneLine(text).replace(/\s+/g, ' ');
}
