import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config/config.ts';
import type { RawEvent } from '../queue/contract.ts';
import { decodeRawBody } from '../queue/raw-body.ts';
import { sha256Hex } from '../shared/crypto.ts';
import { HttpError } from '../shared/errors.ts';
import { MethodNotAllowedError, NotFoundError } from '../shared/http-errors.ts';
import type { Metrics } from '../shared/metrics.ts';
import { findProvider, type Provider } from '../providers/registry.ts';
import { parseUntrustedJson } from '../shared/json.ts';
import type { AuthContext } from '../providers/auth/auth-scheme.ts';
import { closeIfLargeBodyPending, declaredBodyLimit } from './body-limit.ts';
import type { EventStore } from './event-store.ts';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from './json-depth.ts';

type Deps = { config: Config; store: EventStore; metrics: Metrics; now?: () => number };

type Located = { provider: Provider; credentials: readonly string[]; auth: AuthContext };

function locals(res: Response): Located {
  return res.locals as Located;
}

/** The event key of SPEC.md section 3. */
export function eventKeyOf(provider: Provider, payload: unknown, headers: Request['headers'], body: Buffer): string {
  return `${provider.id}:${provider.eventId(payload, headers) ?? sha256Hex(body)}`;
}

function keptHeaders(req: Request, names: readonly string[]): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (typeof value === 'string') kept[name] = value;
  }
  return kept;
}

/**
 * POST /webhooks/:provider. Order matters: unknown providers, a declared body over MAX_BODY_BYTES,
 * and whatever the headers alone can refuse (header-only credentials; a missing, malformed, oversized
 * or stale signature header) are answered before the body is read; signatures are checked on the raw
 * bytes before anything parses them. `otherMethods` answers any other method on the same path.
 */
export function webhookRoute(deps: Deps): { post: RequestHandler[]; otherMethods: RequestHandler } {
  const now = deps.now ?? (() => Date.now());

  /** The provider of the path when it is known and has credentials, else a 404 (SPEC.md section 2). */
  function served(req: Request): { provider: Provider; credentials: readonly string[] } | NotFoundError {
    const provider = findProvider(String(req.params.provider));
    const credentials = provider ? deps.config.credentials[provider.id] : undefined;
    if (provider && credentials) return { provider, credentials };
    return new NotFoundError('no webhook endpoint is configured at this path');
  }

  const tooLarge = declaredBodyLimit(deps.config.maxBodyBytes);

  /**
   * Everything decided before the body is read, in one handler rather than three route layers:
   * the path's provider (404), the declared size (413), then what the headers alone can refuse.
   */
  const beforeBody: RequestHandler = (req, res, next) => {
    const found = served(req);
    if (found instanceof NotFoundError) {
      closeIfLargeBodyPending(req, res);
      return next(found);
    }
    if (tooLarge(req, res)) return;
    const { provider, credentials } = found;
    const auth: AuthContext = {
      headers: req.headers,
      queryToken: typeof req.query.token === 'string' ? req.query.token : undefined,
      nowSeconds: Math.floor(now() / 1000),
      toleranceSeconds: deps.config.toleranceSeconds,
    };
    res.locals.provider = provider;
    res.locals.credentials = credentials;
    res.locals.auth = auth;
    try {
      provider.auth.checkHeaders?.(auth, credentials);
    } catch (error) {
      // Refused before the body is read: a large one is not read at all.
      closeIfLargeBodyPending(req, res);
      throw error;
    }
    next();
  };

  const readBody = express.raw({ type: () => true, limit: deps.config.maxBodyBytes, inflate: false });

  /**
   * Verifies and parses the body and builds the event to store; undefined when the request is
   * answered already (a connection test). A function of its own so that the body, its text and the
   * parsed payload are not held by the handler while it waits for Redis: with 64 KiB bodies those are
   * 200 KB per request in flight, long enough to be promoted out of the young generation.
   */
  const eventOf = (req: Request, res: Response): RawEvent | undefined => {
    const { provider, credentials, auth } = locals(res);
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    provider.auth.checkBody?.(body, auth, credentials);

    if (jsonDepthExceeds(body)) throw new HttpError(400, 'invalid_json', `the body nests deeper than ${MAX_JSON_DEPTH} levels`);
    const utf8 = isUtf8(body);
    const text = body.toString('utf8');
    let payload: unknown;
    try {
      payload = parseUntrustedJson(text);
    } catch {
      throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
    }
    provider.auth.checkPayload?.(payload, auth);

    if (provider.connectionTest?.matches(payload, req.headers)) {
      res.locals.outcome = 'connection_test';
      res.status(200).json({ status: 'ok', message: 'connection test received; nothing was queued' });
      return undefined;
    }

    const key = eventKeyOf(provider, payload, req.headers, body);
    res.locals.eventKey = key;
    // Nothing reads the raw bytes after this; the request itself lives until its answer is sent.
    req.body = undefined;
    return {
      provider: provider.id,
      key,
      receivedAt: new Date(now()).toISOString(),
      // The exact bytes, also when they are not valid UTF-8 (then `text` has U+FFFD there): src/queue/raw-body.ts.
      body: utf8 ? text : decodeRawBody(body),
      headers: keptHeaders(req, provider.keptHeaders),
    };
  };

  const accept = async (req: Request, res: Response, _next: NextFunction): Promise<void> => {
    const event = eventOf(req, res);
    if (!event) return;
    const stopTimer = deps.metrics.enqueueSeconds.startTimer();
    const outcome = await deps.store.store(event);
    stopTimer();
    res.locals.outcome = outcome;
    if (outcome === 'accepted') res.status(202).json({ status: 'accepted', id: event.key });
    else res.status(200).json({ status: 'duplicate', id: event.key });
  };

  const otherMethods: RequestHandler = (req, res, next) => {
    const found = served(req);
    closeIfLargeBodyPending(req, res);
    next(found instanceof NotFoundError ? found : new MethodNotAllowedError(['POST'], 'webhooks are POSTed'));
  };

  return { post: [beforeBody, readBody, accept], otherMethods };
}
