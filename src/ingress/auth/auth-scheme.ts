import type { IncomingHttpHeaders } from 'node:http';

export type AuthContext = {
  headers: IncomingHttpHeaders;
  /** The `token` query parameter, if any. */
  queryToken: string | undefined;
  nowSeconds: number;
  toleranceSeconds: number;
};

/** What a provider sends: the headers and query a correctly signed request carries. */
export type SignedRequest = { headers: Record<string, string>; query: Record<string, string> };

/**
 * How one provider proves a request is theirs. Each step throws UnauthorizedError; a step a scheme
 * does not need is absent. Steps run in order: before the body is read, on the raw body, and on the
 * parsed payload (for a timestamp that lives inside the signed body).
 */
export interface AuthScheme {
  checkHeaders?(ctx: AuthContext, credentials: readonly string[]): void;
  checkBody?(body: Buffer, ctx: AuthContext, credentials: readonly string[]): void;
  checkPayload?(payload: unknown, ctx: AuthContext): void;
  /** Signs a body as the provider would; used by tests, benchmarks and `hookline send-sample`. */
  sign(body: string, credential: string, nowSeconds: number): SignedRequest;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isWithinTolerance(timestampSeconds: number, ctx: AuthContext): boolean {
  return Math.abs(ctx.nowSeconds - timestampSeconds) <= ctx.toleranceSeconds;
}
