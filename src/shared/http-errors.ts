import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ERROR_STATUS, HttpError, type ErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';

/** The one mapping of errors to HTTP answers. The codes and their statuses: src/shared/errors.ts. */
export { ERROR_CODES, ERROR_STATUS, type ErrorCode } from './errors.ts';

/** One error answer: status, `{"error": code, "message": message}`, and headers (Allow, Retry-After). */
export type ErrorAnswer = { status: number; code: ErrorCode; message: string; headers?: Readonly<Record<string, string>> };

/** The answer for `code` at its usual status. */
export function errorAnswer(code: ErrorCode, message: string, headers?: Readonly<Record<string, string>>): ErrorAnswer {
  return { status: ERROR_STATUS[code], code, message, ...(headers ? { headers } : {}) };
}

/**
 * Writes an error answer: the one body shape `{error, message}` (plus `extra` fields, e.g. the key
 * an admin lookup missed), and the code as the request's outcome for the request log and metrics.
 */
export function sendError(res: Response, answer: ErrorAnswer, extra: Readonly<Record<string, string>> = {}): void {
  res.locals.outcome = answer.code;
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  res.status(answer.status).json({ ...extra, error: answer.code, message: answer.message });
}

/** body-parser's error types, answered as SPEC.md section 2 says. */
const BODY_ERRORS: Readonly<Record<string, ErrorAnswer>> = {
  'entity.too.large': errorAnswer('payload_too_large', 'the body is larger than MAX_BODY_BYTES'),
  'parameters.too.many': errorAnswer('payload_too_large', 'too many parameters in the form'),
  'entity.parse.failed': errorAnswer('invalid_json', 'the body is not valid JSON'),
  'encoding.unsupported': errorAnswer('unsupported_encoding', 'compressed bodies are not accepted'),
  'charset.unsupported': errorAnswer('unsupported_charset', 'the body must be UTF-8'),
  'request.aborted': errorAnswer('request_aborted', 'the request was aborted'),
  'request.size.invalid': errorAnswer('bad_request', 'the body does not match Content-Length'),
  'stream.encoding.set': errorAnswer('internal_error', 'internal error'),
};

function bodyErrorType(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  return typeof error.type === 'string' ? error.type : undefined;
}

/**
 * Any other error that says it is the client's (http-errors' 4xx with `expose`, as body-parser and
 * Express raise them, e.g. a compressed body that does not decompress: zlib's Z_DATA_ERROR wrapped in
 * a 400), answered with its status and a message of ours: never a 500, never its text or stack.
 */
function clientError(error: unknown): ErrorAnswer | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose, code } = error as { status?: unknown; statusCode?: unknown; expose?: unknown; code?: unknown };
  const value = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : undefined;
  if (value === undefined || value < 400 || value > 499 || expose === false) return undefined;
  if (typeof code === 'string' && code.startsWith('Z_')) return errorAnswer('bad_request', 'the body does not decode as its Content-Encoding says');
  if (value === 413) return errorAnswer('payload_too_large', 'the body is too large');
  return { status: value, code: 'bad_request', message: 'the request could not be read' };
}

function describeFor(req: Request, answer: ErrorAnswer): ErrorAnswer {
  // Only the webhooks take MAX_BODY_BYTES; the status page's forms have their own, smaller limits.
  if (answer.code === 'payload_too_large' && !req.originalUrl.startsWith('/webhooks/') && answer.message.includes('MAX_BODY_BYTES')) {
    return { ...answer, message: 'the body is larger than this endpoint takes' };
  }
  if (answer.code === 'invalid_json' && !req.is('json')) return errorAnswer('bad_request', 'the body could not be parsed');
  return answer;
}

/** What a thrown error is answered with; `undefined` for an error that is ours (a 500, logged). */
export function answerForError(error: unknown, req: Request): ErrorAnswer | undefined {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message, headers: error.headers };
  const type = bodyErrorType(error);
  const bodyError = type === undefined ? undefined : BODY_ERRORS[type];
  if (bodyError) return describeFor(req, bodyError);
  // The router could not percent-decode a path parameter (e.g. /webhooks/%%): the client's mistake.
  if (error instanceof URIError) return errorAnswer('bad_request', 'the path is not valid percent-encoding');
  return clientError(error);
}

/** The last error handler of the app: every thrown error's answer comes from answerForError. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let answer = answerForError(error, req);
    if (!answer) {
      // Anything unexpected is our bug; the client cannot fix it and must not learn details.
      logger.error({ err: error }, 'unhandled error in request');
      answer = errorAnswer('internal_error', 'internal error');
    } else if (answer.status >= 500) {
      logger.warn({ err: error instanceof Error ? (error.cause ?? error) : error, code: answer.code }, answer.message);
    } else {
      logger.debug({ status: answer.status, code: answer.code, type: bodyErrorType(error) }, 'request refused: client error');
    }
    if (!res.headersSent && (answer.status === 413 || answer.status === 400)) res.setHeader('Connection', 'close');
    sendError(res, answer);
  };
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'not_found', message);
    this.name = 'NotFoundError';
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(allow: readonly string[], message: string) {
    super(405, 'method_not_allowed', message, { Allow: allow.join(', ') });
    this.name = 'MethodNotAllowedError';
  }
}

/** The app's last route: any path nothing else answered. */
export const notFound: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError('no such endpoint'));
};

/** After a path's routes: any other method is answered 405 with `Allow`. */
export function methodNotAllowed(allow: readonly string[]): RequestHandler {
  const message = `this endpoint takes ${allow.join(', ')}`;
  return (_req, _res, next) => {
    next(new MethodNotAllowedError(allow, message));
  };
}
