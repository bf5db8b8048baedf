import { UnauthorizedError } from '../../shared/errors.ts';
import { hmacSha256, safeEqual } from '../../shared/crypto.ts';
import { headerValue, isWithinTolerance, type AuthContext, type AuthScheme } from './auth-scheme.ts';

type SignatureSet = { timestamp: number; signatures: Buffer[] };

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Parses `t=<unix>,v1=<hex>` sets. During a rotation Persona sends two sets separated by a space;
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

/** Stripe-style signatures: HMAC-SHA256 over `<t>.<raw body>`, hex, in one header (Persona, Plextera). */
export function timestampedHmac(headerName: string): AuthScheme {
  return {
    checkBody(body: Buffer, ctx: AuthContext, secrets: readonly string[]): void {
      const header = headerValue(ctx.headers, headerName);
      if (!header) throw new UnauthorizedError(`missing ${headerName} header`);
      const sets = parseSignatureHeader(header);
      if (sets.length === 0) throw new UnauthorizedError(`malformed ${headerName} header`);

      let fresh = false;
      for (const set of sets) {
        if (!isWithinTolerance(set.timestamp, ctx)) continue;
        fresh = true;
        for (const secret of secrets) {
          const expected = hmacSha256(secret, `${set.timestamp}.`, body);
          if (set.signatures.some((candidate) => safeEqual(candidate, expected))) return;
        }
      }
      throw new UnauthorizedError(fresh ? 'signature does not match' : 'signature timestamp outside the tolerance');
    },
    sign(body: string, secret: string, nowSeconds: number) {
      const signature = hmacSha256(secret, `${nowSeconds}.${body}`).toString('hex');
      return { headers: { [headerName]: `t=${nowSeconds},v1=${signature}` }, query: {} };
    },
  };
}
