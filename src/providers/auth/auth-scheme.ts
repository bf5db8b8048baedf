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

/** An OpenAPI 3.1 security scheme object. */
export type SecuritySchemeDoc =
  | { type: 'apiKey'; in: 'header' | 'query'; name: string; description: string }
  | { type: 'http'; scheme: 'basic' | 'bearer'; description: string };

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
  /** Request headers (lower-case) and query parameters that carry credentials: never logged, never kept. */
  readonly secretHeaders: readonly string[];
  readonly secretQuery: readonly string[];
  /** OpenAPI security schemes, by a name unique to the scheme's parameters; any one of them suffices. */
  readonly openApi: Readonly<Record<string, SecuritySchemeDoc>>;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isWithinTolerance(timestampSeconds: number, ctx: AuthContext): boolean {
  return Math.abs(ctx.nowSeconds - timestampSeconds) <= ctx.toleranceSeconds;
}

/** `x-plextera-signature` → `X-Plextera-Signature`, as documentation writes header names. */
export function headerTitle(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
}

/** `x-plextera-signature` → `xPlexteraSignature`: an OpenAPI component name. */
export function schemeName(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}
