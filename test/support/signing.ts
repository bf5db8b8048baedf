import type { SignedRequest } from '../../src/ingress/auth/auth-scheme.ts';
import { providerIngress } from '../../src/ingress/providers/registry.ts';
import type { ProviderId } from '../../src/shared/providers.ts';

/** Test credentials, one current and one being rotated out, per provider. */
export const CREDENTIALS: Record<ProviderId, [string, string]> = {
  persona: ['wbhsec_test_current', 'wbhsec_test_old'],
  plextera: ['plx_test_current', 'plx_test_old'],
  primer: ['primer_test_current', 'primer_test_old'],
  reachfive: ['Bearer r5-test-current-0123456789abcdef', 'Basic cmVhY2hmaXZlOnMzY3IzdA=='],
  personaclick: ['pc-test-current-0123456789abcdef', 'pc-test-old-0123456789abcdef'],
};

export const CREDENTIAL_ENV: Record<string, string> = {
  PERSONA_WEBHOOK_SECRET: CREDENTIALS.persona.join(','),
  PLEXTERA_WEBHOOK_SECRET: CREDENTIALS.plextera.join(','),
  PRIMER_WEBHOOK_SECRET: CREDENTIALS.primer.join(','),
  REACHFIVE_WEBHOOK_AUTHORIZATION: CREDENTIALS.reachfive.join(','),
  PERSONACLICK_WEBHOOK_TOKEN: CREDENTIALS.personaclick.join(','),
};

export function sign(provider: ProviderId, body: string, options: { credential?: string; nowSeconds?: number } = {}): SignedRequest {
  const credential = options.credential ?? CREDENTIALS[provider][0];
  return providerIngress[provider].auth.sign(body, credential, options.nowSeconds ?? Math.floor(Date.now() / 1000));
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
