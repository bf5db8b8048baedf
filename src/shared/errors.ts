/**
 * Errors that carry their meaning. Ingress code maps them to HTTP answers; worker code maps them to
 * BullMQ's retry control (see src/workers/to-bullmq-error.ts). Nothing else inspects error messages.
 */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** A request the ingress refuses; `status` and `code` become the HTTP answer. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, 'unauthorized', message);
    this.name = 'UnauthorizedError';
  }
}

/** The event could not be stored durably; the provider should retry later. */
export class QueueUnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(503, 'unavailable', message, { 'Retry-After': String(retryAfterSeconds) });
    this.name = 'QueueUnavailableError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** An authenticated payload that no normalizer can turn into an event. Never retried automatically. */
export class NormalizeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NormalizeError';
  }
}

/**
 * A sink could not deliver. `retryable` says whether trying again may help; `retryAfterMs` is a
 * delay the remote asked for (HTTP 429 Retry-After), which does not count as a failed attempt.
 */
export class SinkError extends Error {
  readonly sink: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(
    sink: string,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkError';
    this.sink = sink;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Redis is needed, none answers, and none can be started here; the message says what to do. */
export class NoRedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoRedisError';
  }
}
