import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

export const SESSION_COOKIE = 'hookline_admin';
const SESSION_MAX_AGE_MS = 12 * 3_600_000;

export type AdminSession = {
  /** Authenticated with `Authorization: Bearer`: no ambient credential, so no CSRF check needed. */
  via: 'bearer' | 'cookie';
  /** The token forms must echo back (cookie sessions only). */
  csrfToken: string | undefined;
};

/**
 * The admin token authenticates two ways: `Authorization: Bearer <token>` (the CLI, scripts) and a
 * session cookie set by the login form (a browser). The cookie holds no token, only a nonce and its
 * HMAC under the token, so changing ADMIN_TOKEN ends every session.
 */
export class AdminAuth {
  private readonly token: string;

  constructor(token: string) {
    this.token = token;
  }

  /** Constant-time, and independent of the length of what was sent. */
  tokenMatches(received: string): boolean {
    const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
    return timingSafeEqual(digest(received), digest(this.token));
  }

  private mac(purpose: string, ...parts: string[]): string {
    return createHmac('sha256', this.token).update([purpose, ...parts].join('.')).digest('base64url');
  }

  newSessionCookie(now = Date.now()): string {
    const issued = String(now);
    const nonce = randomBytes(18).toString('base64url');
    return `${issued}.${nonce}.${this.mac('session', issued, nonce)}`;
  }

  /** The session's CSRF token, or undefined when the cookie is missing, forged or expired. */
  sessionFromCookie(cookie: string | undefined, now = Date.now()): AdminSession | undefined {
    if (!cookie) return undefined;
    const [issued, nonce, mac, ...rest] = cookie.split('.');
    if (!issued || !nonce || !mac || rest.length > 0 || !/^\d{1,15}$/.test(issued)) return undefined;
    const age = now - Number(issued);
    if (age < 0 || age > SESSION_MAX_AGE_MS) return undefined;
    if (!equalText(mac, this.mac('session', issued, nonce))) return undefined;
    return { via: 'cookie', csrfToken: this.mac('csrf', nonce) };
  }

  sessionOf(req: Request): AdminSession | undefined {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return match?.[1] !== undefined && this.tokenMatches(match[1]) ? { via: 'bearer', csrfToken: undefined } : undefined;
    }
    return this.sessionFromCookie(readCookie(req, SESSION_COOKIE));
  }
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
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function csrfMatches(session: AdminSession, received: unknown): boolean {
  return session.csrfToken !== undefined && typeof received === 'string' && equalText(received, session.csrfToken);
}

/**
 * A cross-site request must not act with the operator's cookie. SameSite=Strict already keeps the
 * cookie off cross-site requests; this also refuses same-site but cross-origin ones (a sibling
 * subdomain) for every state-changing method, Bull Board's API included.
 */
export function sameOriginOnly(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const source = req.headers.origin ?? req.headers.referer;
    if (source === undefined) return next(); // not a browser (curl, the CLI): no ambient cookie risk beyond the token itself
    let host: string | undefined;
    try {
      host = new URL(source).host;
    } catch {
      host = undefined;
    }
    if (host !== undefined && host === req.headers.host) return next();
    res.status(403).json({ error: 'forbidden', message: 'cross-origin request refused' });
  };
}
