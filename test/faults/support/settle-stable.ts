import type { SinkReaders } from './ledger.ts';

/**
 * Waits until every key is at every sink, or — when some were lost, and so never arrive — until
 * nothing has changed at any sink for `quietMs`. Bounded by `timeoutMs`.
 */
export async function settleOrQuiet(keys: readonly string[], readers: SinkReaders, options: { quietMs: number; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  let since = Date.now();
  while (Date.now() < deadline) {
    const rows = await readers.rows();
    const slack = readers.slack(keys);
    const email = readers.email(keys);
    const complete = keys.every((key) => rows.has(key) && slack.has(key) && email.has(key));
    if (complete) break;
    const state = `${[...rows.values()].reduce((a, b) => a + b, 0)}/${[...slack.values()].reduce((a, b) => a + b, 0)}/${[...email.values()].reduce((a, b) => a + b, 0)}`;
    if (state !== last) {
      last = state;
      since = Date.now();
    } else if (Date.now() - since >= options.quietMs) {
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Late doubles, if any, have a moment to show.
  await new Promise((r) => setTimeout(r, 1_500));
}
