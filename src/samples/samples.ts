import { randomUUID } from 'node:crypto';
import type { SignedRequest } from '../providers/auth/auth-scheme.ts';
import { providerOf, type ProviderId } from '../providers/registry.ts';

/**
 * The provider's sample body. `unique` gives it a fresh event key, so that sending it again is a new
 * event rather than a duplicate.
 */
export function sampleBody(provider: ProviderId, options: { unique?: boolean } = {}): string {
  const { sample } = providerOf(provider);
  const body = `${JSON.stringify(sample.payload, null, 2)}\n`;
  if (!options.unique) return body;
  const suffix = randomUUID().slice(0, 8);
  const path = sample.idPath;
  // Keyed by the body's hash: trailing whitespace makes another key and the same JSON.
  if (!path) return `${body.trimEnd()}\n${' '.repeat(1 + (Number.parseInt(suffix, 16) % 64))}`;
  const payload = JSON.parse(body) as Record<string, unknown>;
  let parent: Record<string, unknown> = payload;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  parent[last] = `${String(parent[last])}-${suffix}`;
  return `${JSON.stringify(payload, null, 2)}\n`;
}

/** Signs a body exactly as the provider would, with one configured credential. */
export function signSample(provider: ProviderId, body: string, credential: string, nowSeconds = Math.floor(Date.now() / 1000)): SignedRequest {
  const { auth, sample } = providerOf(provider);
  const signed = auth.sign(body, credential, nowSeconds);
  return { headers: { ...sample.headers?.(body), ...signed.headers }, query: signed.query };
}

export type SendResult = { status: number; body: string };

/** POSTs a signed sample to a running hookline's webhook endpoint. */
export async function sendSample(baseUrl: string, provider: ProviderId, body: string, credential: string): Promise<SendResult> {
  const signed = signSample(provider, body, credential);
  const query = new URLSearchParams(signed.query).toString();
  const url = `${baseUrl.replace(/\/$/, '')}/webhooks/${provider}${query ? `?${query}` : ''}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed.headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}
