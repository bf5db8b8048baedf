import { UnauthorizedError } from '../../shared/errors.ts';
import { hmacSha256, safeEqual } from '../../shared/crypto.ts';
import { headerValue, isWithinTolerance, type AuthContext, type AuthScheme } from './auth-scheme.ts';

type BodyHmacOptions = {
  /** Headers that may each carry a base64 signature (Primer: primary, and secondary after a rotation). */
  headers: readonly string[];
  /** A body field holding the signing time in Unix seconds, checked when present. */
  timestampField: string;
};

/** A base64 HMAC-SHA256 is 44 characters; anything much longer is not one. */
const MAX_SIGNATURE_HEADER_BYTES = 1024;
const SHA256_BYTES = 32;

function decodeBase64(value: string): Buffer | undefined {
  const trimmed = value.trim();
  if (trimmed.length > MAX_SIGNATURE_HEADER_BYTES || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  // Only a digest's length can ever match.
  return decoded.length === SHA256_BYTES ? decoded : undefined;
}

/** Primer: base64 HMAC-SHA256 of the raw body; the signed body may carry its own timestamp. */
export function bodyHmac(options: BodyHmacOptions): AuthScheme {
  /** The well-formed signatures the request carries (cheap: no HMAC); refuses a request with none. */
  const receivedSignatures = (ctx: AuthContext): Buffer[] => {
    const present = options.headers
      .map((name) => headerValue(ctx.headers, name))
      .filter((value): value is string => value !== undefined && value !== '');
    if (present.length === 0) throw new UnauthorizedError(`missing ${options.headers[0]} header`);
    const received = present.map(decodeBase64).filter((value): value is Buffer => value !== undefined);
    if (received.length === 0) throw new UnauthorizedError(`malformed ${options.headers.join(' / ')} header`);
    return received;
  };

  return {
    /** Before the body is read: a request without a well-formed signature never gets that far. */
    checkHeaders(ctx: AuthContext): void {
      receivedSignatures(ctx);
    },
    checkBody(body: Buffer, ctx: AuthContext, secrets: readonly string[]): void {
      const received = receivedSignatures(ctx);
      // One HMAC of the body per secret, compared with every header's signature in constant time.
      for (const secret of secrets) {
        const expected = hmacSha256(secret, body);
        let matched = false;
        for (const candidate of received) if (safeEqual(candidate, expected)) matched = true;
        if (matched) return;
      }
      throw new UnauthorizedError('signature does not match');
    },
    checkPayload(payload: unknown, ctx: AuthContext): void {
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return;
      const value: unknown = (payload as Record<string, unknown>)[options.timestampField];
      if (value === undefined || value === null) return;
      const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(seconds)) throw new UnauthorizedError(`${options.timestampField} is not a Unix timestamp`);
      if (!isWithinTolerance(seconds, ctx)) throw new UnauthorizedError(`${options.timestampField} outside the tolerance`);
    },
    sign(body: string, secret: string) {
      const [primary] = options.headers;
      return { headers: { [primary ?? 'x-signature']: hmacSha256(secret, body).toString('base64') }, query: {} };
    },
  };
}
