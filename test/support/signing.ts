import type { SignedRequest } from '../../src/providers/auth/auth-scheme.ts';
import { PROVIDERS, providerOf, type ProviderId } from '../../src/providers/registry.ts';

/**
 * Test credentials, one current and one being rotated out, per provider: of the form each
 * definition gives (`credential.example`), except where a test needs another form (ReachFive's Basic).
 */
export const CREDENTIALS = Object.fromEntries(
  PROVIDERS.map((provider) => [
    provider.id,
    [provider.credential.example(`test-current-${provider.id}-0123456789abcdef`), provider.credential.example(`test-old-${provider.id}-0123456789abcdef`)],
  ]),
) as Record<ProviderId, [string, string]>;
CREDENTIALS.reachfive = ['Bearer r5-test-current-0123456789abcdef', 'Basic cmVhY2hmaXZlOnMzY3IzdA=='];

/** Every provider switched on, with both of its credentials. */
export const CREDENTIAL_ENV: Record<string, string> = Object.fromEntries(
  PROVIDERS.map((provider) => [provider.credential.variable, CREDENTIALS[provider.id].join(',')]),
);

export function sign(provider: ProviderId, body: string, options: { credential?: string; nowSeconds?: number } = {}): SignedRequest {
  const credential = options.credential ?? CREDENTIALS[provider][0];
  return providerOf(provider).auth.sign(body, credential, options.nowSeconds ?? Math.floor(Date.now() / 1000));
}

export type PostResult = { status: number; body: Record<string, unknown>; headers: Headers };

export async function post(
  baseUrl: string,
  provider: string,
  body: string | Buffer,
  signed: SignedRequest = { headers: {}, query: {} },
  extraHeaders: Record<string, string> = {},
): Promise<PostResult> {
  const query = new URLSearchParams(signed.query).toString();
  const response = await fetch(`${baseUrl}/webhooks/${provider}${query ? `?${query}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed.headers, ...extraHeaders },
    body,
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Signs and posts, the way the provider would. */
export function sendSigned(baseUrl: string, provider: ProviderId, body: string, options?: { credential?: string; nowSeconds?: number }) {
  return post(baseUrl, provider, body, sign(provider, body, options));
}
