import { createTransport } from 'nodemailer';
import type { EmailConfig } from '../config/config.ts';
import type { Logger } from '../shared/logger.ts';
import { abortable } from './abortable.ts';
import { buildEmailMessage } from './email-message.ts';
import { classifyEmailError } from './email-errors.ts';
import type { Sink } from './sink.ts';

export type EmailSinkOptions = {
  /** Connections the pool may open to the SMTP server (per process). */
  maxConnections?: number;
  /** Bound on connecting, on the server's greeting, and on an idle socket mid-conversation. */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  logger?: Logger;
};

/** One message per event over one pooled SMTP transport, shared by every delivery in this process. */
export function createEmailSink(config: EmailConfig, options: EmailSinkOptions = {}): Sink {
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
    id: 'email',
    accepts: (event) => config.statuses.has(event.status),
    async deliver({ event }, signal) {
      const message = buildEmailMessage(event);
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
          options.logger?.warn({ eventKey: event.id, rejected: info.rejected, accepted: info.accepted }, 'email recipients rejected');
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
