/**
 * Errors that carry their meaning. HTTP answers come from one mapping (src/shared/http-errors.ts);
 * job outcomes from another (src/workers/job-outcome.ts). Nothing else inspects error messages or names.
 */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * Every `error` code an HTTP answer of hookline carries (webhooks, health, metrics, /admin's JSON),
 * with the status it is answered with; src/shared/http-errors.ts writes the answers. The same list is
 * the `reason` label set of hookline_webhook_rejections_total (src/shared/metrics.ts adds only
 * `other`), so a code the metric does not know does not compile.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  request_aborted: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** `GET /admin/api/events/<key>` for a key it does not hold: a plain not_found means no such route. */
  no_such_event: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_encoding: 415,
  unsupported_charset: 415,
  too_many_requests: 429,
  internal_error: 500,
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as readonly ErrorCode[];

/** A request the ingress refuses; `status` and `code` become the HTTP answer (src/shared/http-errors.ts). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  constructor(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
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
