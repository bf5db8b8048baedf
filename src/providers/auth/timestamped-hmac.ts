import { UnauthorizedError } from '../../shared/errors.ts';
import { hmacSha256, safeEqual } from '../../shared/crypto.ts';
import { headerTitle, headerValue, isWithinTolerance, schemeName, type AuthContext, type AuthScheme } from './auth-scheme.ts';

type SignatureSet = { timestamp: number; signatures: Buffer[] };

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * The most `t=…,v1=…` sets one header may carry. A sender rotating its secret sends two; every set with
 * its own fresh timestamp costs one HMAC of the whole body per secret, so an unbounded count lets an
 * unauthenticated request buy a multiple of a real one's CPU.
 */
export const MAX_SIGNATURE_SETS = 4;
/** The longest signature header accepted (two sets are ~160 bytes). */
export const MAX_SIGNATURE_HEADER_BYTES = 1024;

/**
 * Parses `t=<unix>,v1=<hex>` sets. During a rotation a sender sends two sets separated by a space;
 * Stripe-style senders may also repeat `v1=` inside one set. Unknown keys (v0, …) are ignored.
 */
export function parseSignatureHeader(header: string): SignatureSet[] {
  const sets: SignatureSet[] = [];
  for (const chunk of header.trim().split(/\s+/)) {
    let timestamp: number | undefined;
    const signatures: Buffer[] = [];
    for (const element of chunk.split(',')) {
      const separator = element.indexOf('=');
      if (separator < 0) continue;
      const key = element.slice(0, separator).trim();
      const value = element.slice(separator + 1).trim();
      if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
      else if (key === 'v1' && HEX_SHA256.test(value)) signatures.push(Buffer.from(value, 'hex'));
    }
    if (timestamp !== undefined && signatures.length > 0) sets.push({ timestamp, signatures });
  }
  return sets;
}

/**
 * The cheap checks, all before any HMAC (and, from checkHeaders, before the body is read): the
 * header is present, short, carries at most MAX_SIGNATURE_SETS well-formed sets, and at least one of
 * them has a timestamp within the tolerance. Returns the candidate signatures by fresh timestamp: the
 * signed payload `<t>.<body>` depends only on t, so each distinct t needs one HMAC per secret.
 */
function freshSignatures(headerName: string, ctx: AuthContext): Map<number, Buffer[]> {
  const header = headerValue(ctx.headers, headerName);
  if (!header) throw new UnauthorizedError(`missing ${headerName} header`);
  if (header.length > MAX_SIGNATURE_HEADER_BYTES) {
    throw new UnauthorizedError(`${headerName} header is longer than ${MAX_SIGNATURE_HEADER_BYTES} bytes`);
  }
  const chunks = header.trim().split(/\s+/).length;
  if (chunks > MAX_SIGNATURE_SETS) {
    throw new UnauthorizedError(`${headerName} header carries ${chunks} signature sets; at most ${MAX_SIGNATURE_SETS} are accepted`);
  }
  const sets = parseSignatureHeader(header);
  if (sets.length === 0) throw new UnauthorizedError(`malformed ${headerName} header`);

  const byTimestamp = new Map<number, Buffer[]>();
  for (const set of sets) {
    if (!isWithinTolerance(set.timestamp, ctx)) continue;
    const candidates = byTimestamp.get(set.timestamp);
    if (candidates) candidates.push(...set.signatures);
    else byTimestamp.set(set.timestamp, [...set.signatures]);
  }
  if (byTimestamp.size === 0) throw new UnauthorizedError('signature timestamp outside the tolerance');
  return byTimestamp;
}

/** Stripe-style signatures: HMAC-SHA256 over `<t>.<raw body>`, hex, in one header. */
export function timestampedHmac(headerName: string): AuthScheme {
  return {
    checkHeaders(ctx: AuthContext): void {
      freshSignatures(headerName, ctx);
    },
    checkBody(body: Buffer, ctx: AuthContext, secrets: readonly string[]): void {
      // Parsed again (a bounded header: cheap) so the body check stands on its own.
      const byTimestamp = freshSignatures(headerName, ctx);
      for (const [timestamp, candidates] of byTimestamp) {
        for (const secret of secrets) {
          const expected = hmacSha256(secret, `${timestamp}.`, body);
          // Every candidate of this t is compared, in constant time, whatever the earlier ones gave.
          let matched = false;
          for (const candidate of candidates) if (safeEqual(candidate, expected)) matched = true;
          if (matched) return;
        }
      }
      throw new UnauthorizedError('signature does not match');
    },
    sign(body: string, secret: string, nowSeconds: number) {
      const signature = hmacSha256(secret, `${nowSeconds}.${body}`).toString('hex');
      return { headers: { [headerName]: `t=${nowSeconds},v1=${signature}` }, query: {} };
    },
    secretHeaders: [headerName],
    secretQuery: [],
    openApi: {
      [schemeName(headerName)]: {
        type: 'apiKey',
        in: 'header',
        name: headerTitle(headerName),
        description: 'HMAC-SHA256 signature, `t=<unix>,v1=<hex>` (not a static key)',
      },
    },
  };
}
