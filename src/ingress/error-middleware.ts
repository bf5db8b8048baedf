import type { ErrorRequestHandler, Request } from 'express';
import { HttpError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

type Answer = { status: number; code: string; message: string };

/** body-parser's error types, answered as SPEC.md section 2 says. */
const BODY_ERRORS: Record<string, Answer> = {
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'the body is larger than MAX_BODY_BYTES' },
  'parameters.too.many': { status: 413, code: 'payload_too_large', message: 'too many parameters in the form' },
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'the body is not valid JSON' },
  'encoding.unsupported': { status: 415, code: 'unsupported_encoding', message: 'compressed bodies are not accepted' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset', message: 'the body must be UTF-8' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'the request was aborted' },
  'request.size.invalid': { status: 400, code: 'bad_request', message: 'the body does not match Content-Length' },
  'stream.encoding.set': { status: 500, code: 'internal_error', message: 'internal error' },
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
function clientError(error: unknown): Answer | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose, code } = error as { status?: unknown; statusCode?: unknown; expose?: unknown; code?: unknown };
  const value = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : undefined;
  if (value === undefined || value < 400 || value > 499 || expose === false) return undefined;
  if (typeof code === 'string' && code.startsWith('Z_')) return { status: 400, code: 'bad_request', message: 'the body does not decode as its Content-Encoding says' };
  if (value === 413) return { status: 413, code: 'payload_too_large', message: 'the body is too large' };
  return { status: value, code: 'bad_request', message: 'the request could not be read' };
}

function describeFor(req: Request, answer: Answer): Answer {
  // Only the webhooks take MAX_BODY_BYTES; the status page's forms have their own, smaller limits.
  if (answer.code === 'payload_too_large' && !req.originalUrl.startsWith('/webhooks/') && answer.message.includes('MAX_BODY_BYTES')) {
    return { ...answer, message: 'the body is larger than this endpoint takes' };
  }
  if (answer.code === 'invalid_json' && !req.is('json')) return { ...answer, code: 'bad_request', message: 'the body could not be parsed' };
  return answer;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = bodyErrorType(error);
    const bodyError = known ? BODY_ERRORS[known] : undefined;
    let answer: Answer;
    if (error instanceof HttpError) {
      answer = { status: error.status, code: error.code, message: error.message };
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
      if (answer.status >= 500) logger.warn({ err: error.cause ?? error, code: answer.code }, answer.message);
    } else if (bodyError) {
      answer = describeFor(req, bodyError);
    } else if (error instanceof URIError) {
      // The router could not percent-decode a path parameter (e.g. /webhooks/%%): the client's mistake.
      answer = { status: 400, code: 'bad_request', message: 'the path is not valid percent-encoding' };
    } else {
      const client = clientError(error);
      if (client) {
        answer = client;
      } else {
        // Anything unexpected is our bug; the client cannot fix it and must not learn details.
        logger.error({ err: error }, 'unhandled error in request');
        answer = { status: 500, code: 'internal_error', message: 'internal error' };
      }
    }
    if (answer.status < 500) logger.debug({ status: answer.status, code: answer.code, type: known }, 'request refused: client error');
    res.locals.outcome = answer.code;
    if (res.headersSent) return;
    if (answer.status === 413 || answer.status === 400) res.setHeader('Connection', 'close');
    res.status(answer.status).json({ error: answer.code, message: answer.message });
  };
}
