import { createHash, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { safeEqual } from '../shared/crypto.ts';
import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';

export const SESSION_COOKIE = 'hookline_admin';
export const SESSION_MAX_AGE_MS = 12 * 3_600_000;

export type AdminSession = {
  /** Authenticated with `Authorization: Bearer`: no ambient credential, so no CSRF check needed. */
  via: 'bearer' | 'cookie';
  /** The token forms must echo back (cookie sessions only). */
  csrfToken: string | undefined;
};

/** What a request presents: a Bearer token, a session cookie, or nothing. */
export type Credential = { kind: 'bearer'; token: string | undefined } | { kind: 'cookie'; value: string } | { kind: 'none' };

type StoredSession = { v: 1; csrf: string; fingerprint: string; createdAt: number };

const COOKIE_FORMAT = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;

/**
 * The admin token authenticates two ways: `Authorization: Bearer <token>` (the CLI, scripts) and a
 * session cookie set by the login form (a browser).
 *
 * Sessions live in Redis: the cookie holds a random 256-bit session id (and its HMAC under a key
 * derived from the token, so a forged or altered cookie costs no Redis lookup); Redis holds, under a
 * hash of that id, the session's CSRF token and a fingerprint of the token it was opened with, and
 * expires it after 12 hours. Logging out deletes it; a changed ADMIN_TOKEN no longer matches the
 * fingerprint (nor the cookie's HMAC), so every session opened with the old token ends. Neither the
 * token nor a usable session id is ever stored: the fingerprint is a slow (scrypt) hash.
 */
export class AdminAuth {
  private readonly token: string;
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly cookieKey: Buffer;
  private readonly fingerprint: string;
  private readonly maxAgeMs: number;

  constructor(options: { token: string; redis: Redis; keyPrefix: string; maxAgeMs?: number }) {
    this.token = options.token;
    this.redis = options.redis;
    this.keyPrefix = options.keyPrefix;
    this.maxAgeMs = options.maxAgeMs ?? SESSION_MAX_AGE_MS;
    this.cookieKey = createHmac('sha256', options.token).update('hookline admin session cookie').digest();
    // Computed once per process: a stolen Redis dump gives no fast way to test guesses at the token.
    this.fingerprint = scryptSync(options.token, `hookline admin session:${options.keyPrefix}`, 32, { N: 2 ** 14, r: 8, p: 1 }).toString('base64url');
  }

  /** Constant-time, and independent of the length of what was sent. */
  tokenMatches(received: string): boolean {
    const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
    return safeEqual(digest(received), digest(this.token));
  }

  /** Opens a session in Redis; the answer's cookie value names it. */
  async openSession(now = Date.now()): Promise<{ cookie: string; csrfToken: string }> {
    const id = randomBytes(32).toString('base64url');
    const session: StoredSession = { v: 1, csrf: randomBytes(32).toString('base64url'), fingerprint: this.fingerprint, createdAt: now };
    await this.redis.set(this.sessionKey(id), JSON.stringify(session), 'PX', this.maxAgeMs);
    return { cookie: `${id}.${this.cookieMac(id)}`, csrfToken: session.csrf };
  }

  /** The session a cookie names, or undefined when it is missing, forged, expired, logged out or from another token. */
  async sessionFromCookie(cookie: string | undefined): Promise<AdminSession | undefined> {
    const id = this.sessionId(cookie);
    if (id === undefined) return undefined;
    const stored = parseSession(await this.redis.get(this.sessionKey(id)));
    if (!stored) return undefined;
    if (!equalText(stored.fingerprint, this.fingerprint)) {
      // Opened with another ADMIN_TOKEN: that token was changed, so the session is over.
      await this.redis.del(this.sessionKey(id));
      return undefined;
    }
    return { via: 'cookie', csrfToken: stored.csrf };
  }

  /** Logging out: the session is deleted on the server, so its cookie opens nothing any more. */
  async endSession(cookie: string | undefined): Promise<void> {
    const id = this.sessionId(cookie);
    if (id !== undefined) await this.redis.del(this.sessionKey(id));
  }

  private sessionId(cookie: string | undefined): string | undefined {
    if (cookie === undefined || !COOKIE_FORMAT.test(cookie)) return undefined;
    const [id = '', mac = ''] = cookie.split('.');
    return equalText(mac, this.cookieMac(id)) ? id : undefined;
  }

  private cookieMac(id: string): string {
    return createHmac('sha256', this.cookieKey).update(id).digest('base64url');
  }

  /** Keyed by a hash of the id: what Redis holds cannot be replayed as a cookie. */
  private sessionKey(id: string): string {
    return `${this.keyPrefix}:${createHash('sha256').update(id).digest('base64url')}`;
  }
}

function parseSession(value: string | null): StoredSession | undefined {
  if (value === null) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<StoredSession>;
    return parsed.v === 1 && typeof parsed.csrf === 'string' && typeof parsed.fingerprint === 'string' ? (parsed as StoredSession) : undefined;
  } catch {
    return undefined;
  }
}

/** What the request presents. An Authorization header wins over a cookie (the API ignores cookies). */
export function credentialOf(req: Request): Credential {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return { kind: 'bearer', token: match?.[1] };
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie === undefined || cookie === '' ? { kind: 'none' } : { kind: 'cookie', value: cookie };
}

export function sessionCookieOf(req: Request): string | undefined {
  return readCookie(req, SESSION_COOKIE);
}

export function setSessionCookie(req: Request, res: Response, value: string): void {
  res.append('Set-Cookie', cookieHeader(req, value, Math.floor(SESSION_MAX_AGE_MS / 1000)));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', cookieHeader(req, '', 0));
}

function cookieHeader(req: Request, value: string, maxAgeSeconds: number): string {
  // Behind a TLS-terminating proxy the request itself is plain HTTP; the forwarded scheme only ever
  // makes the cookie stricter, so trusting it here is harmless.
  const secure = req.secure || req.headers['x-forwarded-proto'] === 'https';
  return `${SESSION_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

function equalText(a: string, b: string): boolean {
  return safeEqual(Buffer.from(a), Buffer.from(b));
}

export function csrfMatches(session: AdminSession, received: unknown): boolean {
  return session.csrfToken !== undefined && typeof received === 'string' && equalText(received, session.csrfToken);
}

/**
 * The origin this request was addressed to: scheme, host and port. The scheme and host a proxy
 * forwards (X-Forwarded-Proto, X-Forwarded-Host) are taken as well: a cross-site page cannot set
 * those headers on the operator's browser's request, so they only ever come from the proxy or from a
 * client that holds no ambient cookie.
 */
export function requestOrigin(req: Request): string | undefined {
  const scheme = firstForwarded(req.headers['x-forwarded-proto']) ?? req.protocol;
  const host = firstForwarded(req.headers['x-forwarded-host']) ?? req.headers.host;
  if (!host || !/^https?$/i.test(scheme)) return undefined;
  try {
    return new URL(`${scheme.toLowerCase()}://${host}`).origin;
  } catch {
    return undefined;
  }
}

function firstForwarded(value: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  return first ? first : undefined;
}

/**
 * A cross-site request must not act with the operator's cookie. SameSite=Strict already keeps the
 * cookie off cross-site requests; this also refuses same-site but cross-origin ones (a sibling
 * subdomain, the same host over http or on another port) for every state-changing method, Bull
 * Board's API included: the Origin (or Referer) must equal this request's scheme, host and port.
 */
export function sameOriginOnly(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const source = req.headers.origin ?? req.headers.referer;
    if (source === undefined) return next(); // not a browser (curl, the CLI): no ambient cookie risk beyond the token itself
    let origin: string | undefined;
    try {
      origin = new URL(source).origin;
    } catch {
      origin = undefined;
    }
    const expected = requestOrigin(req);
    if (origin !== undefined && origin !== 'null' && expected !== undefined && origin === expected) return next();
    // The usual honest cause: a TLS-terminating proxy that does not say the browser's scheme.
    res.status(403).json({ error: 'forbidden', message: 'cross-origin request refused (behind a TLS-terminating proxy, have it send X-Forwarded-Proto)' });
  };
}
