import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { providerOf } from '../../src/providers/registry.ts';
import type { RawEvent } from '../../src/queue/contract.ts';
import { sha256Hex } from '../../src/shared/crypto.ts';
import { PROVIDER_IDS, type ProviderId } from '../../src/providers/registry.ts';
import { CREDENTIALS } from '../../test/support/signing.ts';

/** A signed webhook request, ready to send; its event key is unique. */
export type BenchRequest = {
  provider: ProviderId;
  key: string;
  path: string;
  headers: Record<string, string>;
  body: string;
};

const FIXTURES_DIR = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const PLACEHOLDER = '__BENCH_ID__';

type Template = {
  provider: ProviderId;
  /** The body with PLACEHOLDER where the unique id goes. */
  body: string;
  /** The event key with PLACEHOLDER, or undefined when the key is the body hash (PersonaClick). */
  key: string | undefined;
  /** For Plextera's headers. */
  eventType: string | undefined;
  occurredAt: string | undefined;
};

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`fixture: ${what} is not an object`);
  return value as Json;
}

/** Puts the unique id where the provider's event id lives (SPEC.md section 3). */
function markUnique(provider: ProviderId, payload: Json): void {
  switch (provider) {
    case 'persona':
      object(payload.data, 'persona data').id = `evt_${PLACEHOLDER}`;
      return;
    case 'plextera':
      payload.eventId = `evt_${PLACEHOLDER}`;
      return;
    case 'primer':
      object(payload.run, 'primer run').id = `run-${PLACEHOLDER}`;
      return;
    case 'reachfive':
      payload.id = `r5_${PLACEHOLDER}`;
      return;
    default:
      // No id in the body (PersonaClick's key is the body hash; GitHub's is X-GitHub-Delivery, which
      // its sample headers derive from the body): any unique field makes a new event.
      payload.request_id = PLACEHOLDER;
      return;
  }
}

function loadTemplates(): Template[] {
  const templates: Template[] = [];
  for (const provider of PROVIDER_IDS) {
    const dir = join(FIXTURES_DIR, provider);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json')).sort()) {
      const payload = object(JSON.parse(readFileSync(join(dir, file), 'utf8')), file);
      if (providerOf(provider).connectionTest?.matches(payload, {})) continue; // answered 200, never queued
      markUnique(provider, payload);
      const id = providerOf(provider).eventId(payload, {});
      templates.push({
        provider,
        body: JSON.stringify(payload),
        key: id?.includes(PLACEHOLDER) ? `${provider}:${id}` : undefined,
        eventType: typeof payload.eventType === 'string' ? payload.eventType : undefined,
        occurredAt: typeof payload.occurredAt === 'string' ? payload.occurredAt : undefined,
      });
    }
  }
  return templates;
}

/** Fixtures taken in turn, one provider after another: an even mix of the five. */
function interleave(templates: Template[]): Template[] {
  const byProvider = PROVIDER_IDS.map((p) => templates.filter((t) => t.provider === p));
  const longest = Math.max(...byProvider.map((list) => list.length));
  const mixed: Template[] = [];
  for (let i = 0; i < longest * PROVIDER_IDS.length; i++) {
    const list = byProvider[i % PROVIDER_IDS.length] ?? [];
    const template = list[Math.floor(i / PROVIDER_IDS.length) % list.length];
    if (template) mixed.push(template);
  }
  return mixed;
}

const MIX = interleave(loadTemplates());

export type GenerateOptions = {
  count: number;
  runTag: string;
  /** Pads every body (with a `padding` string field) to this many bytes. */
  bodyBytes?: number | undefined;
  nowSeconds?: number;
  /** Signing can be skipped when the requests are enqueued directly. */
  sign?: boolean;
};

function padded(body: string, bodyBytes: number | undefined): string {
  if (bodyBytes === undefined) return body;
  const bare = `${body.slice(0, -1)},"padding":""}`;
  const missing = bodyBytes - Buffer.byteLength(bare);
  return missing > 0 ? `${body.slice(0, -1)},"padding":"${'x'.repeat(missing)}"}` : body;
}

export function generateRequests(options: GenerateOptions): BenchRequest[] {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const bodies = MIX.map((t) => padded(t.body, options.bodyBytes));
  const requests: BenchRequest[] = new Array<BenchRequest>(options.count);
  for (let i = 0; i < options.count; i++) {
    const index = i % MIX.length;
    const template = MIX[index] as Template;
    const id = `${options.runTag}${i.toString(36)}`;
    const body = (bodies[index] as string).replace(PLACEHOLDER, id);
    // The headers the provider sends with this body (GitHub: X-GitHub-Event, X-GitHub-Delivery).
    const sent = providerOf(template.provider).sample.headers?.(body) ?? {};
    const headerId = Object.keys(sent).length > 0 ? providerOf(template.provider).eventId(undefined, sent) : undefined;
    const key = template.key ? template.key.replace(PLACEHOLDER, id) : `${template.provider}:${headerId ?? sha256Hex(body)}`;
    const signed =
      options.sign === false
        ? { headers: {}, query: {} }
        : providerOf(template.provider).auth.sign(body, CREDENTIALS[template.provider][0], now);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...sent, ...signed.headers };
    if (template.provider === 'plextera') {
      headers['x-plextera-event-id'] = `evt_${id}`;
      headers['x-plextera-delivery-id'] = `dlv_${id}`;
      if (template.eventType) headers['x-plextera-event-type'] = template.eventType;
      if (template.occurredAt) headers['x-plextera-event-occurred-at'] = template.occurredAt;
    }
    const query = new URLSearchParams(signed.query).toString();
    requests[i] = { provider: template.provider, key, path: `/webhooks/${template.provider}${query ? `?${query}` : ''}`, headers, body };
  }
  return requests;
}

/** The job data the ingress would store for this request. */
export function rawEventOf(request: BenchRequest, receivedAt: string): RawEvent {
  const headers: Record<string, string> = {};
  for (const name of providerOf(request.provider).keptHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { provider: request.provider, key: request.key, receivedAt, body: request.body, headers };
}

export function averageBodyBytes(requests: readonly BenchRequest[]): number {
  const sample = requests.slice(0, 1000);
  return Math.round(sample.reduce((sum, r) => sum + Buffer.byteLength(r.body), 0) / Math.max(1, sample.length));
}
