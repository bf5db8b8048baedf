import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** HMAC-SHA256 of the concatenated parts, without copying them into one buffer first. */
export function hmacSha256(secret: string, ...parts: ReadonlyArray<string | Buffer>): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/**
 * Constant-time equality of two byte strings. Only the length can leak, and the lengths compared here
 * (a digest, a configured header value) are not secret in themselves.
 */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time comparison of a received value with every configured one; true if any matches. */
export function matchesAny(received: string, expected: readonly string[]): boolean {
  const receivedBytes = Buffer.from(received, 'utf8');
  let matched = false;
  // No early exit: the time taken does not say which configured value (if any) matched.
  for (const candidate of expected) {
    if (safeEqual(receivedBytes, Buffer.from(candidate, 'utf8'))) matched = true;
  }
  return matched;
}
