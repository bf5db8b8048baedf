import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizedEventSchema } from '../../src/normalizers/normalized-event.ts';
import type { RawEvent } from '../../src/queue/contract.ts';
import { normalize } from '../../src/normalizers/normalize.ts';
import { buildEvent } from '../../src/normalizers/build-event.ts';
import { providerOf } from '../../src/providers/registry.ts';
import { toIsoUtc } from '../../src/normalizers/time.ts';
import { NormalizeError } from '../../src/shared/errors.ts';
import { PROVIDER_IDS, type ProviderId } from '../../src/providers/registry.ts';
import { fixtures } from '../support/fixtures.ts';

const RECEIVED_AT = '2026-01-01T00:00:00.000Z';

function raw(provider: ProviderId, body: string): RawEvent {
  return { provider, key: `${provider}:prop`, receivedAt: RECEIVED_AT, body, headers: {} };
}

/**
 * Calls the normalizer itself (not the registry, which would wrap a TypeError into a NormalizeError)
 * and holds it to its contract: a schema-valid event, or a NormalizeError.
 */
function normalizesOrRefuses(provider: ProviderId, payload: unknown): void {
  let event: unknown;
  try {
    const input = raw(provider, JSON.stringify(payload) ?? '');
    event = buildEvent(input, providerOf(provider).name, providerOf(provider).normalize(payload, input));
  } catch (error) {
    if (!(error instanceof NormalizeError)) throw error;
    expect(error.message).toMatch(/^\S/);
    expect(error.message).not.toMatch(/\n/);
    return;
  }
  const parsed = normalizedEventSchema.safeParse(event);
  expect(parsed.error).toBeUndefined();
  expect(parsed.data?.id).toBe(`${provider}:prop`);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function paths(value: Json, prefix: readonly (string | number)[] = []): (string | number)[][] {
  const here = prefix.length > 0 ? [[...prefix]] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, index) => paths(item, [...prefix, index]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...prefix, key]))];
  }
  return here;
}

const REMOVE = Symbol('remove');

function replaced(root: Json, path: readonly (string | number)[], value: Json | typeof REMOVE): Json {
  const copy = structuredClone(root);
  let node: Json = copy;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, Json>)[key] as Json;
  const last = path[path.length - 1] as string | number;
  if (value === REMOVE) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete (node as Record<string, Json>)[last];
  } else {
    (node as Record<string | number, Json>)[last] = value;
  }
  return copy;
}

describe('every normalizer, on any input, returns a valid event or throws NormalizeError', () => {
  it.each(PROVIDER_IDS)('%s: arbitrary JSON', (provider) => {
    fc.assert(fc.property(fc.jsonValue(), (payload) => normalizesOrRefuses(provider, payload)), { numRuns: 300 });
  });

  it.each(PROVIDER_IDS)('%s: its samples with one value replaced or removed', (provider) => {
    const samples = fixtures(provider).map(({ body }) => JSON.parse(body) as Json);
    const mutations = fc
      .constantFrom(...samples)
      .chain((sample) =>
        fc.tuple(
          fc.constant(sample),
          fc.constantFrom(...paths(sample)),
          fc.oneof(fc.constant<typeof REMOVE>(REMOVE), fc.jsonValue() as fc.Arbitrary<Json>),
        ),
      );
    fc.assert(
      fc.property(mutations, ([sample, path, value]) => normalizesOrRefuses(provider, replaced(sample, path, value))),
      { numRuns: 500 },
    );
  });

  it('the registry turns any body at all into an event or a NormalizeError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROVIDER_IDS), fc.string(), (provider, body) => {
        try {
          normalize(raw(provider, body));
        } catch (error) {
          expect(error).toBeInstanceOf(NormalizeError);
        }
      }),
    );
  });
});

describe('ReachFive status mapping', () => {
  const count = fc.option(fc.nat({ max: 1_000_000 }), { nil: undefined });
  it('follows SUCCESS/FAILURE/RUNNING and total_failed, and echoes the counts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('SUCCESS', 'FAILURE', 'RUNNING'),
        fc.constantFrom('import', 'export'),
        count,
        count,
        count,
        (status, type, total, succeeded, failed) => {
          const body = { id: 'job', type, status, total_operations: total, total_succeeded: succeeded, total_failed: failed };
          const event = normalize(raw('reachfive', JSON.stringify(body)));
          const expected =
            status === 'FAILURE' ? 'failed' : status === 'RUNNING' ? 'running' : (failed ?? 0) > 0 ? 'partial' : 'succeeded';
          expect(event.status).toBe(expected);
          expect(event.category).toBe(type);
          expect(event.counts ?? {}).toEqual(
            Object.fromEntries(Object.entries({ total, succeeded, failed }).filter(([, v]) => v !== undefined)),
          );
          expect(event.error !== undefined).toBe(expected === 'failed' || expected === 'partial');
          if (expected === 'partial') expect(event.error?.message).toContain(`${failed} `);
        },
      ),
    );
  });
});

describe('PersonaClick ids', () => {
  it('a string or integer id becomes the same string subject id, qualified by its kind', () => {
    const id = fc.oneof(fc.integer({ min: 0 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/));
    const fields = {
      bulk_campaign: ['bulk_campaign_id', 'campaign'],
      segment_recalculated_rfm: ['segment_id', 'segment'],
      import_products: ['task_id', 'task'],
    } as const;
    fc.assert(
      fc.property(fc.constantFrom('bulk_campaign', 'segment_recalculated_rfm', 'import_products'), id, (operation, value) => {
        const [field, kind] = fields[operation];
        const event = normalize(raw('personaclick', JSON.stringify({ operation, status: 'success', [field]: value })));
        expect(event.subject.id).toBe(`${kind}:${String(value)}`);
        expect(event.summary).toContain(String(value));
      }),
    );
  });

  it('never puts a segment, a campaign and a product with the same number in one job run', () => {
    const subjects = [
      { operation: 'segment_recalculated_dynamic', segment_id: '100500' },
      { operation: 'bulk_campaign', bulk_campaign_id: '100500' },
      { operation: 'import_products', item_id: '100500' },
    ].map((payload) => normalize(raw('personaclick', JSON.stringify({ status: 'error', ...payload }))).subject.id);
    expect(new Set(subjects).size).toBe(3);
  });
});

describe('Persona key inflection', () => {
  const kebab = (key: string) => key;
  const camel = (key: string) => key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const snake = (key: string) => key.replaceAll('-', '_');

  function inflected(value: Json, pick: () => (key: string) => string): Json {
    if (Array.isArray(value)) return value.map((item) => inflected(item, pick));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [pick()(key), inflected(item, pick)]));
  }

  it('any mix of kebab, camel and snake keys gives the same event', () => {
    for (const { body } of fixtures('persona')) {
      const reference = normalize(raw('persona', body));
      fc.assert(
        fc.property(fc.array(fc.constantFrom(kebab, camel, snake), { minLength: 80, maxLength: 80 }), (choices) => {
          let next = 0;
          const mixed = inflected(JSON.parse(body) as Json, () => choices[next++ % choices.length] ?? kebab);
          expect(normalize(raw('persona', JSON.stringify(mixed)))).toEqual(reference);
        }),
        { numRuns: 50 },
      );
    }
  });
});

describe('timestamps', () => {
  const date = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
  it('an ISO UTC timestamp reads back unchanged, with or without its Z', () => {
    fc.assert(
      fc.property(date, (d) => {
        const iso = d.toISOString();
        expect(toIsoUtc(iso)).toBe(iso);
        expect(toIsoUtc(iso.slice(0, -1))).toBe(iso);
        expect(toIsoUtc(iso.replace('T', ' ').slice(0, -1))).toBe(iso);
      }),
    );
  });
});
