import { UnauthorizedError } from '../../shared/errors.ts';
import { hmacSha256, safeEqual } from '../../shared/crypto.ts';
import { headerTitle, headerValue, isWithinTolerance, schemeName, type AuthContext, type AuthScheme } from './auth-scheme.ts';

type BodyHmacOptions = {
  /** Headers that may each carry a signature (e.g. a primary, and a secondary after a rotation). */
  headers: readonly string[];
  /** How the digest is written: base64 (url-safe accepted too) or hex. */
  encoding: 'base64' | 'hex';
  /** What precedes the digest in the header, e.g. `sha256=`. */
  prefix?: string;
  /** A body field holding the signing time in Unix seconds, checked when present. */
  timestampField?: string;
};

/** A digest is 44 (base64) or 64 (hex) characters; anything much longer is not one. */
const MAX_SIGNATURE_HEADER_BYTES = 1024;
const SHA256_BYTES = 32;

function decodeDigest(value: string, options: BodyHmacOptions): Buffer | undefined {
  let text = value.trim();
  if (text.length > MAX_SIGNATURE_HEADER_BYTES) return undefined;
  if (options.prefix !== undefined) {
    if (!text.startsWith(options.prefix)) return undefined;
    text = text.slice(options.prefix.length);
  }
  let decoded: Buffer;
  if (options.encoding === 'hex') {
    if (!/^[0-9a-fA-F]{64}$/.test(text)) return undefined;
    decoded = Buffer.from(text, 'hex');
  } else {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
    decoded = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  }
  // Only a digest's length can ever match.
  return decoded.length === SHA256_BYTES ? decoded : undefined;
}

/** HMAC-SHA256 of the raw body in one or more headers; the signed body may carry its own timestamp. */
export function bodyHmac(options: BodyHmacOptions): AuthScheme {
  const described = `${options.encoding} HMAC-SHA256 of the raw body${options.prefix ? ` after \`${options.prefix}\`` : ''}`;
  /** The well-formed signatures the request carries (cheap: no HMAC); refuses a request with none. */
  const receivedSignatures = (ctx: AuthContext): Buffer[] => {
    const present = options.headers
      .map((name) => headerValue(ctx.headers, name))
      .filter((value): value is string => value !== undefined && value !== '');
    if (present.length === 0) throw new UnauthorizedError(`missing ${options.headers[0]} header`);
    const received = present.map((value) => decodeDigest(value, options)).filter((value): value is Buffer => value !== undefined);
    if (received.length === 0) throw new UnauthorizedError(`malformed ${options.headers.join(' / ')} header`);
    return received;
  };

  const timestampField = options.timestampField;
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
    ...(timestampField === undefined
      ? {}
      : {
          checkPayload(payload: unknown, ctx: AuthContext): void {
            if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return;
            const value: unknown = (payload as Record<string, unknown>)[timestampField];
            if (value === undefined || value === null) return;
            const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : NaN;
            if (!Number.isFinite(seconds)) throw new UnauthorizedError(`${timestampField} is not a Unix timestamp`);
            if (!isWithinTolerance(seconds, ctx)) throw new UnauthorizedError(`${timestampField} outside the tolerance`);
          },
        }),
    sign(body: string, secret: string) {
      const [primary] = options.headers;
      const digest = hmacSha256(secret, body).toString(options.encoding);
      return { headers: { [primary ?? 'x-signature']: `${options.prefix ?? ''}${digest}` }, query: {} };
    },
    secretHeaders: options.headers,
    secretQuery: [],
    openApi: Object.fromEntries(
      options.headers.map((name, index) => [
        schemeName(name),
        {
          type: 'apiKey',
          in: 'header',
          name: headerTitle(name),
          description: `${described}${index > 0 ? ` (instead of ${headerTitle(options.headers[0] ?? '')}, after a rotation)` : ''}; not a static key`,
        },
      ]),
    ),
  };
}
