import type { AlertItem } from '../alerts/alert-item.ts';
import { routeAccepts } from '../alerts/routing.ts';
import type { SlackConfig } from '../config/config.ts';
import { SinkError } from '../shared/errors.ts';
import type { MessageOptions } from './alert-text.ts';
import { truncate } from '../shared/text.ts';
import type { AlertSink } from './sink.ts';
import { buildSlackDigest, slackDigestCapacity } from './slack-digest.ts';
import { buildSlackMessage } from './slack-message.ts';

export type SlackSinkOptions = {
  /** Longest wait for Slack's answer, per attempt. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  message?: MessageOptions;
};

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY_AFTER_MS = 30_000;
const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * Posts to one incoming webhook: an alert alone, or a digest of several when more wait than
 * Slack's pace allows. The webhook URL is a credential: it never appears in an error, a log line
 * or an error's cause.
 */
export function createSlackSink(config: SlackConfig, options: SlackSinkOptions = {}): AlertSink {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const messageOptions = options.message ?? {};
  const digestMax = Math.max(1, config.digestMax);
  const fetchImpl = options.fetch ?? fetch;
  const fail = (message: string, retryable: boolean, retryAfterMs?: number) =>
    new SinkError('slack', redact(message, config.webhookUrl), { retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

  return {
    id: config.id,
    kind: 'slack',
    policy: {
      // Enough waiting alerts in each process to fill two digests.
      concurrency: digestMax * 2,
      recordDeliveries: true,
      pace: { intervalMs: Math.ceil(1_000 / config.maxPerSecond), digestMax },
    },
    accepts: (item) => routeAccepts(config.filter, item),
    capacity: (items: readonly AlertItem[]) =>
      items.length <= 1 ? items.length : Math.max(1, slackDigestCapacity(items.slice(0, digestMax), messageOptions)),
    async send(items, signal) {
      const [first] = items;
      if (!first) return;
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = AbortSignal.any([signal, timeout]);
      let response: Response;
      let body: string;
      try {
        response = await fetchImpl(config.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(items.length === 1 ? buildSlackMessage(first, messageOptions) : buildSlackDigest(items, messageOptions)),
          signal: combined,
          // A redirect is not Slack's way of answering; following it would send the message elsewhere.
          redirect: 'manual',
        });
        body = await response.text();
      } catch (error) {
        if (timeout.aborted) throw fail(`Slack did not answer within ${timeoutMs} ms`, true);
        if (signal.aborted) throw fail('Slack delivery aborted', true);
        throw fail(`Slack could not be reached: ${networkReason(error)}`, true);
      }

      const status = response.status;
      if (status >= 200 && status < 300) return;
      const said = truncate(body.trim().replace(/\s+/g, ' '), 200) || '(empty body)';
      if (status === 429) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        throw fail(`Slack rate limited the webhook (429 ${said}); retry in ${Math.round(retryAfterMs / 1000)} s`, true, retryAfterMs);
      }
      if (status >= 500 || status === 408) throw fail(`Slack answered ${status} ${said}`, true);
      // 400 invalid_payload, 403 action_prohibited / invalid_token, 404 channel_not_found,
      // 410 channel_is_archived, 3xx: the same message will fail the same way.
      throw fail(`Slack refused the message: ${status} ${said}`, false);
    },
    close: async () => undefined,
  };
}

/** Retry-After is seconds (Slack) or an HTTP date; anything else falls back to 30 s. */
export function parseRetryAfter(value: string | null, now = Date.now()): number {
  if (value === null) return DEFAULT_RETRY_AFTER_MS;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Math.ceil(Number(trimmed) * 1000);
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return DEFAULT_RETRY_AFTER_MS;
    ms = date - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(1_000, ms));
}

/** undici hides the useful part in `cause` (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET…). */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}

function redact(message: string, secret: string): string {
  if (!secret) return message;
  let result = message.replaceAll(secret, '[webhook url]');
  try {
    const { pathname } = new URL(secret);
    if (pathname.length > 1) result = result.replaceAll(pathname, '/[redacted]');
  } catch {
    // not a URL: nothing more to hide
  }
  return result;
}
