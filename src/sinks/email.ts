import { createTransport } from 'nodemailer';
import { routeAccepts } from '../alerts/routing.ts';
import type { EmailConfig } from '../config/config.ts';
import type { Logger } from '../shared/logger.ts';
import { abortable } from './abortable.ts';
import type { MessageOptions } from './alert-text.ts';
import { buildEmailDigest } from './email-digest.ts';
import { buildEmailMessage } from './email-message.ts';
import { classifyEmailError } from './email-errors.ts';
import type { AlertSink } from './sink.ts';

export type EmailSinkOptions = {
  /** Connections the pool may open to the SMTP server (per process). */
  maxConnections?: number;
  /** Bound on connecting, on the server's greeting, and on an idle socket mid-conversation. */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  logger?: Logger;
  message?: MessageOptions;
};

/**
 * One destination's email over a pooled SMTP transport: an alert alone, or a digest of up to
 * `digestMax` when more wait than EMAIL_MAX_PER_MINUTE allows.
 */
export function createEmailSink(config: EmailConfig, options: EmailSinkOptions = {}): AlertSink {
  const digestMax = Math.max(1, config.digestMax);
  const messageOptions = options.message ?? {};
  const transport = createTransport({
    // Settings in the URL (e.g. ?pool=false) take precedence over these.
    url: config.smtpUrl,
    pool: true,
    maxConnections: options.maxConnections ?? 3,
    maxMessages: 100,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
    dnsTimeout: 10_000,
    logger: false,
    debug: false,
  });
  const hidden = secrets(config.smtpUrl);
  // Transport errors outside a send (e.g. an idle pooled socket failing) must not crash the process.
  transport.on('error', (error) => options.logger?.warn({ err: classifyEmailError(error, hidden) }, 'SMTP pool error'));

  return {
    id: config.id,
    kind: 'email',
    policy: {
      concurrency: digestMax * 2,
      recordDeliveries: true,
      pace: { intervalMs: Math.ceil(60_000 / config.maxPerMinute), digestMax },
    },
    accepts: (item) => routeAccepts(config.filter, item),
    capacity: (items) => Math.min(items.length, digestMax),
    async send(items, signal) {
      const [first] = items;
      if (!first) return;
      const message = items.length === 1 ? buildEmailMessage(first, messageOptions) : buildEmailDigest(items, messageOptions);
      try {
        const info = await abortable(
          'email',
          transport.sendMail({
            from: config.from,
            to: [...config.to],
            subject: message.subject,
            text: message.text,
            html: message.html,
            messageId: message.messageId,
            headers: message.headers,
          }),
          signal,
        );
        // Some recipients refused, others took it: a resend would duplicate the accepted ones.
        if (info.rejected.length > 0) {
          options.logger?.warn({ destination: config.id, items: items.length, rejected: info.rejected, accepted: info.accepted }, 'email recipients rejected');
        }
      } catch (error) {
        throw classifyEmailError(error, hidden);
      }
    },
    close: async () => {
      transport.close();
    },
  };
}

/** The whole URL and its password, to scrub from anything that might be logged. */
function secrets(smtpUrl: string): string[] {
  const list = [smtpUrl];
  try {
    const { password } = new URL(smtpUrl);
    if (password) list.push(password, decodeURIComponent(password));
  } catch {
    // not parseable: the whole URL is still scrubbed
  }
  return list;
}
