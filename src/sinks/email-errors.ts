import { SinkError } from '../shared/errors.ts';

/** Transient by nature: the network, a timeout, a pooled connection that reached its message limit. */
const RETRYABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EMAXLIMIT']);

/**
 * SMTP reply classes decide first (RFC 5321: 4xx transient, 5xx permanent), whatever stage failed:
 * a 451 to RCPT TO comes as EENVELOPE and is still worth retrying. Without a reply code, nodemailer's
 * error code decides; EENVELOPE, EMESSAGE, EAUTH, ENOAUTH and anything unknown (configuration,
 * TLS, protocol) are permanent.
 */
export function classifyEmailError(error: unknown, secrets: readonly string[]): SinkError {
  if (error instanceof SinkError) return error;
  const record = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    responseCode?: unknown;
    response?: unknown;
    message?: unknown;
  };
  const code = typeof record.code === 'string' ? record.code : undefined;
  const responseCode = typeof record.responseCode === 'number' ? record.responseCode : undefined;
  let retryable: boolean;
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) retryable = true;
  else if (responseCode !== undefined && responseCode >= 500) retryable = false;
  else retryable = code !== undefined && RETRYABLE_CODES.has(code);

  const message = typeof record.message === 'string' ? record.message : String(error);
  const label = [code, responseCode].filter((part) => part !== undefined).join(' ');
  let text = `email not sent${label ? ` (${label})` : ''}: ${message}`;
  for (const secret of secrets) if (secret) text = text.replaceAll(secret, '[redacted]');
  // No `cause`: the transport's errors may describe the connection, credentials included.
  return new SinkError('email', text.length > 1_000 ? `${text.slice(0, 999)}…` : text, { retryable });
}
