import type { ErrorRequestHandler } from 'express';
import { HttpError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

/** body-parser's error types, answered as SPEC.md section 2 says. */
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'the body is larger than MAX_BODY_BYTES' },
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

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const known = bodyErrorType(error);
    const bodyError = known ? BODY_ERRORS[known] : undefined;
    let status: number;
    let code: string;
    let message: string;
    if (error instanceof HttpError) {
      ({ status, code, message } = error);
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
      if (status >= 500) logger.warn({ err: error.cause ?? error, code }, message);
    } else if (bodyError) {
      ({ status, code, message } = bodyError);
    } else if (error instanceof URIError) {
      // The router could not percent-decode a path parameter (e.g. /webhooks/%%): the client's mistake.
      ({ status, code, message } = { status: 400, code: 'bad_request', message: 'the path is not valid percent-encoding' });
    } else {
      // Anything unexpected is our bug; the client cannot fix it and must not learn details.
      logger.error({ err: error }, 'unhandled error in request');
      status = 500;
      code = 'internal_error';
      message = 'internal error';
    }
    res.locals.outcome = code;
    if (res.headersSent) return;
    if (status === 413 || status === 400) res.setHeader('Connection', 'close');
    res.status(status).json({ error: code, message });
  };
}
