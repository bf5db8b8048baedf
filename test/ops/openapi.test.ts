import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIngress, type TestIngress } from '../support/harness.ts';

let t: TestIngress;
let document: Record<string, unknown>;

beforeAll(async () => {
  t = await startTestIngress();
  const response = await fetch(`${t.baseUrl}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = (await response.json()) as Record<string, unknown>;
});
afterAll(async () => {
  await t.close();
});

/** SPEC.md section 2: every endpoint, and the answers each one gives. */
const WEBHOOK_ANSWERS = ['200', '202', '400', '401', '404', '413', '503'];
const SPEC_ENDPOINTS: Array<{ method: string; path: string; answers: string[] }> = [
  ...['persona', 'plextera', 'primer', 'reachfive', 'personaclick'].map((provider) => ({
    method: 'post',
    path: `/webhooks/${provider}`,
    answers: WEBHOOK_ANSWERS,
  })),
  { method: 'get', path: '/healthz', answers: ['200'] },
  { method: 'get', path: '/readyz', answers: ['200', '503'] },
  { method: 'get', path: '/metrics', answers: ['200'] },
];

type Operation = { responses: Record<string, unknown>; security?: unknown[] };

function operation(path: string, method: string): Operation | undefined {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  return paths[path]?.[method];
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('resolves every $ref', () => {
    expect(() => new Validator().resolveRefs({ specification: document })).not.toThrow();
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const path = ref.slice('"$ref":"#/'.length, -1).split('/');
      let node: unknown = document;
      for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
      expect(node, ref).toBeDefined();
    }
  });

  it.each(SPEC_ENDPOINTS)('describes $method $path with its answers', ({ method, path, answers }) => {
    const described = operation(path, method);
    expect(described).toBeDefined();
    expect(Object.keys(described?.responses ?? {})).toEqual(expect.arrayContaining(answers));
  });

  it('names how each webhook endpoint authenticates, and the 503 Retry-After header', () => {
    for (const { path } of SPEC_ENDPOINTS.filter((endpoint) => endpoint.method === 'post')) {
      expect(operation(path, 'post')?.security?.length, path).toBeGreaterThan(0);
    }
    const components = document.components as { responses: Record<string, { headers?: Record<string, unknown> }> };
    expect(components.responses.Unavailable?.headers?.['Retry-After']).toBeDefined();
  });

  it('describes only endpoints the ingress serves', async () => {
    for (const path of Object.keys(document.paths as object)) {
      const method = Object.keys((document.paths as Record<string, object>)[path] ?? {})[0] ?? 'get';
      const response = await fetch(`${t.baseUrl}${path}`, { method: method.toUpperCase(), body: method === 'post' ? '{}' : undefined });
      // Webhooks answer 401 unsigned; every other path answers 200. None is the app's 404.
      expect(response.status, path).toBe(method === 'post' ? 401 : 200);
    }
  });
});
