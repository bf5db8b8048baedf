import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';
import { errorAnswer, sendError } from '../shared/http-errors.ts';

/**
 * Past this many bytes of body still to come, a request refused before its body was read is answered
 * with `Connection: close` instead of having its body read off the socket and discarded.
 */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * For a request answered before its body is read. Node keeps such a connection open and reads the
 * rest of the body to throw it away; for a small body that is cheap and keeps the connection for the
 * next request. A large or chunked (unknown-length) one would make an unauthenticated client's
 * megabytes cost the ingress their full read, so the connection is closed after the answer instead.
 * (A client still sending can then see a reset after the answer; on Linux the answer itself still
 * arrives first, and only a refused request is concerned.)
 */
export function closeIfLargeBodyPending(req: IncomingMessage, res: Response): void {
  const declared = req.headers['content-length'];
  const pending = declared === undefined ? (req.headers['transfer-encoding'] ? Number.POSITIVE_INFINITY : 0) : Number(declared);
  if (pending > DRAIN_LIMIT_BYTES && !res.headersSent) res.setHeader('Connection', 'close');
}

/**
 * Answers 413 as soon as the headers declare a body over `maxBodyBytes`, before reading any of it;
 * returns whether it answered.
 *
 * body-parser (via raw-body) sees the same Content-Length at once, but then reads the whole declared
 * body off the socket before it lets the error through: a client that declares 2 MB and sends
 * nothing waited for the request timeout (30 s, a 408) instead of getting its 413. Chunked bodies
 * declare no length; body-parser's limit still cuts those as they stream in.
 */
export function declaredBodyLimit(maxBodyBytes: number): (req: IncomingMessage, res: Response) => boolean {
  return (req, res) => {
    const declared = req.headers['content-length'];
    // Node's parser has already refused a malformed Content-Length, or one beside Transfer-Encoding, with a 400.
    if (declared !== undefined && Number(declared) > maxBodyBytes) {
      closeIfLargeBodyPending(req, res);
      sendError(res, errorAnswer('payload_too_large', 'the body is larger than MAX_BODY_BYTES'));
      return true;
    }
    return false;
  };
}
