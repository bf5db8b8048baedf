import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventFields } from '../../src/normalizers/build-event.ts';
import type { RawEvent } from '../../src/queue/contract.ts';
import { normalize } from '../../src/normalizers/normalize.ts';
import { PROVIDERS, PROVIDER_IDS, providerOf } from '../../src/providers/registry.ts';
import { NormalizeError } from '../../src/shared/errors.ts';
import type { ProviderId } from '../../src/providers/registry.ts';
import { fixture } from '../support/fixtures.ts';

function raw(provider: ProviderId, body: string | object): RawEvent {
  return {
    provider,
    key: `${provider}:test`,
    receivedAt: '2026-01-01T00:00:00.000Z',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {},
  };
}

/** The NormalizeError `run` throws; fails the test when it throws anything else or nothing. */
function normalizeError(run: () => unknown): NormalizeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NormalizeError);
    return error as NormalizeError;
  }
  throw new Error('expected a NormalizeError, nothing was thrown');
}

const REMOVE = Symbol('remove');

/** A copy of `body` with the value at `path` replaced, or removed with REMOVE. */
function withValue(body: string, path: readonly string[], value: unknown): string {
  const root: unknown = JSON.parse(body);
  let node = root as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1] ?? '';
  if (value === REMOVE) delete node[last];
  else node[last] = value;
  return JSON.stringify(root);
}

const personaErrored = (): string => fixture('persona', 'importer-pipeline-run.errored');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('registry', () => {
  it('has one definition per provider id', () => {
    expect(new Set(PROVIDER_IDS).size).toBe(PROVIDERS.length);
    for (const provider of PROVIDERS) expect(providerOf(provider.id)).toBe(provider);
  });

  it('refuses a provider it does not know', () => {
    const error = normalizeError(() => normalize({ ...raw('persona', '{}'), provider: 'acme' as ProviderId }));
    expect(error.message).toBe("no normalizer for provider 'acme'");
  });
});

describe('bodies that are not JSON', () => {
  it.each([
    ['truncated', '{"status":"success"'],
    ['empty', ''],
    ['not JSON at all', 'status=success&task_id=1'],
  ])('%s → NormalizeError', (_, body) => {
    const error = normalizeError(() => normalize(raw('personaclick', body)));
    expect(error.message).toMatch(/^personaclick: body is not valid JSON/);
    expect(error.message).not.toMatch(/\n/);
  });

  it.each([['null'], ['[]'], ['"text"'], ['42']])('JSON that is not an object (%s) → NormalizeError', (body) => {
    for (const provider of PROVIDER_IDS) {
      normalizeError(() => normalize(raw(provider, body)));
    }
  });
});

describe('unknown event types', () => {
  it.each([
    ['persona', { data: { id: 'evt_1', attributes: { name: 'inquiry.approved' } } }, "persona: unknown event name 'inquiry.approved'"],
    ['plextera', { eventId: 'e', eventType: 'workflow.run.started', data: {} }, "plextera: unknown event type 'workflow.run.started'"],
    ['plextera', { eventId: 'e', eventType: 'workflow.run.rejected', data: { runId: 'r' } }, "plextera: unknown event type 'workflow.run.rejected'"],
    ['primer', { eventType: 'DISPUTE.OPENED' }, "primer: unknown event type 'DISPUTE.OPENED'"],
    ['reachfive', { id: 'j', type: 'import', status: 'CANCELLED' }, "reachfive: unknown job status 'CANCELLED'"],
    ['reachfive', { id: 'j', type: 'export', status: 'success' }, "reachfive: unknown job status 'success'"],
    ['personaclick', { operation: 'bulk_campaign', status: 'queued' }, "personaclick: unknown status 'queued' for operation 'bulk_campaign'"],
    ['personaclick', { operation: 'toString', status: 'success' }, "personaclick: unknown operation 'toString'"],
  ] as const)('%s %j', (provider, body, message) => {
    expect(normalizeError(() => normalize(raw(provider, body))).message).toBe(message);
  });
});

describe('schema mismatches name the field', () => {
  it('persona without data.attributes.name', () => {
    const body = withValue(personaErrored(), ['data', 'attributes', 'name'], REMOVE);
    expect(normalizeError(() => normalize(raw('persona', body))).message).toBe(
      'persona: data.attributes.name: expected string, received undefined',
    );
  });

  it('persona without the run id', () => {
    const body = withValue(personaErrored(), ['data', 'attributes', 'payload', 'data', 'id'], REMOVE);
    expect(normalizeError(() => normalize(raw('persona', body))).message).toBe(
      'persona: data.attributes.payload.data.id: expected a string or an integer',
    );
  });

  it('plextera workflow run without runId', () => {
    const body = { eventId: 'e', eventType: 'workflow.run.failed', data: { workflowId: 'w' } };
    expect(normalizeError(() => normalize(raw('plextera', body))).message).toBe(
      'plextera: data.runId: expected a string or an integer',
    );
  });

  it('plextera extraction without any id', () => {
    const body = { eventId: 'e', eventType: 'document-insights.extraction.failed', data: {} };
    expect(normalizeError(() => normalize(raw('plextera', body))).message).toBe(
      'plextera: data.extractionId: expected a string or an integer',
    );
  });

  it('primer run without an id', () => {
    const body = { eventType: 'WORKFLOW_RUN.FAILED', run: { id: '  ' } };
    expect(normalizeError(() => normalize(raw('primer', body))).message).toBe('primer: run.id: expected a non-empty id');
  });

  it('primer body without eventType (the connection test never reaches a worker, but if it did)', () => {
    expect(normalizeError(() => normalize(raw('primer', fixture('primer', 'connection-test')))).message).toBe(
      'primer: eventType: expected string, received undefined',
    );
  });

  it('reachfive with an object for an id', () => {
    expect(normalizeError(() => normalize(raw('reachfive', { id: {}, type: 'import', status: 'SUCCESS' }))).message).toBe(
      'reachfive: id: expected a string or an integer',
    );
  });

  it('personaclick without operation', () => {
    expect(normalizeError(() => normalize(raw('personaclick', { status: 'success', task_id: 1 }))).message).toBe(
      'personaclick: operation: expected string, received undefined',
    );
  });
});

describe('lenient descriptive fields', () => {
  it('drops a malformed count or name instead of failing the event', () => {
    const event = normalize(
      raw('reachfive', { id: 'j1', type: 'import', status: 'SUCCESS', total_operations: -1, total_failed: 'many', total_succeeded: '7', definition_id: 'd', definition_name: 42 }),
    );
    expect(event.counts).toEqual({ succeeded: 7 });
    expect(event.status).toBe('succeeded');
    expect(event.parent).toEqual({ id: 'd' });
  });

  it('falls back to receivedAt for an unusable timestamp', () => {
    const body = withValue(personaErrored(), ['data', 'attributes', 'created-at'], 'yesterday');
    expect(normalize(raw('persona', body)).occurredAt).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('hostile bodies', () => {
  it('a __proto__ key does not pollute Object.prototype, and is dropped', () => {
    const body = fixture('reachfive', 'import.success-with-failures').replace(
      '{',
      '{"__proto__":{"polluted":"yes","status":"FAILURE"},"constructor":{"prototype":{"polluted":"yes"}},',
    );
    const event = normalize(raw('reachfive', body));
    expect(event.status).toBe('partial');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('nested __proto__ keys inside a Persona body (whose keys are rewritten) pollute nothing', () => {
    const body = fixture('persona', 'importer-pipeline-run.errored').replace(
      '"run-data": {',
      '"run-data": {"__proto__": {"polluted": "yes"}, "__proto___x": 1,',
    );
    const event = normalize(raw('persona', body));
    expect(event.counts?.total).toBe(150);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('deeply nested JSON is a NormalizeError or an event, never a stack overflow', () => {
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    for (const provider of PROVIDER_IDS) {
      normalizeError(() => normalize(raw(provider, deep)));
    }
    // Persona's keys are rewritten before parsing: a deep but otherwise valid body still normalizes.
    const persona = personaErrored().replace('"run-data": {', `"run-data": {"deep": ${'['.repeat(50_000)}${']'.repeat(50_000)},`);
    expect(normalize(raw('persona', persona)).status).toBe('failed');
  });
});

describe('a bug in a normalizer surfaces as NormalizeError', () => {
  it('when it throws something else', () => {
    vi.spyOn(providerOf('reachfive'), 'normalize').mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    });
    const error = normalizeError(() => normalize(raw('reachfive', { id: 'j' })));
    expect(error.message).toBe("reachfive: normalizer failed: Cannot read properties of undefined (reading 'x')");
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('when it returns an event that breaks the schema', () => {
    vi.spyOn(providerOf('reachfive'), 'normalize').mockImplementation(
      () => ({ ...fieldsOutput(), status: 'done' }) as unknown as EventFields,
    );
    expect(normalizeError(() => normalize(raw('reachfive', {}))).message).toMatch(
      /^reachfive: normalized event is invalid: status: /,
    );
  });

  it('the event key, provider and receivedAt come from the stored request, whatever the normalizer says', () => {
    vi.spyOn(providerOf('reachfive'), 'normalize').mockImplementation(() => ({ ...fieldsOutput(), id: 'reachfive:other', provider: 'persona' }) as EventFields);
    const event = normalize(raw('reachfive', {}));
    expect([event.id, event.provider, event.receivedAt]).toEqual(['reachfive:test', 'reachfive', '2026-01-01T00:00:00.000Z']);
    expect(event.summary).toBe('ReachFive import j succeeded');
  });
});

function fieldsOutput(): EventFields {
  return {
    type: 'import',
    category: 'import',
    status: 'succeeded',
    occurredAt: [],
    subject: { id: 'j' },
    summary: { what: 'import', label: { id: 'j' }, status: 'succeeded' },
  };
}
