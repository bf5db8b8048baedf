import { PROVIDERS, type Provider } from '../providers/registry.ts';
import { ERROR_CODES, type ErrorCode } from '../shared/errors.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const header = (name: string, description: string, required: boolean): JsonObject => ({
  name,
  in: 'header',
  required,
  description,
  schema: { type: 'string' },
});

const errorBody = (code: ErrorCode, description: string): JsonObject => ({
  description,
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/Error' },
      example: { error: code, message: description },
    },
  },
});

/** The operationId of `POST /webhooks/<id>`: `receivePersonaclickWebhook`. */
function operationId(provider: Provider): string {
  return `receive${provider.id[0]?.toUpperCase()}${provider.id.slice(1)}Webhook`;
}

function webhookOperation(provider: Provider): JsonObject {
  const { docs, auth } = provider;
  const ok: JsonObject = provider.connectionTest
    ? {
        description: `The same event key again (\`duplicate\`), or ${provider.connectionTest.description} (\`ok\`, nothing queued)`,
        content: {
          'application/json': {
            schema: { oneOf: [{ $ref: '#/components/schemas/Duplicate' }, { $ref: '#/components/schemas/ConnectionTest' }] },
          },
        },
      }
    : { $ref: '#/components/responses/Duplicate' };
  const signatureHeaders = Object.values(auth.openApi).flatMap((scheme) => (scheme.type === 'apiKey' && scheme.in === 'header' ? [scheme] : []));
  const parameters = [
    ...signatureHeaders.map((scheme) => header(scheme.name, scheme.description, signatureHeaders.length === 1)),
    ...(docs.headers ?? []).map((extra) => header(extra.name, extra.description, false)),
  ];
  return {
    post: {
      operationId: operationId(provider),
      tags: ['webhooks'],
      summary: docs.summary,
      description:
        `${docs.authentication}, with a credential of \`${provider.credential.variable}\`. ` +
        `${provider.connectionTest ? `${provider.connectionTest.description} is answered 200 and queues nothing. ` : ''}` +
        `Event key: ${docs.eventKey}. The endpoint answers 404 while its variable is unset.`,
      security: Object.keys(auth.openApi).map((name) => ({ [name]: [] })),
      parameters,
      requestBody: {
        required: true,
        description: `The provider's JSON exactly as sent, at most \`MAX_BODY_BYTES\`. Uncompressed. Authenticated on the raw bytes.`,
        content: { 'application/json': { schema: { type: 'object' }, example: provider.sample.payload as JsonObject } },
      },
      responses: {
        '200': ok,
        '202': { $ref: '#/components/responses/Accepted' },
        '400': { $ref: '#/components/responses/InvalidJson' },
        '401': { $ref: '#/components/responses/Unauthorized' },
        '404': { $ref: '#/components/responses/NotFound' },
        '413': { $ref: '#/components/responses/PayloadTooLarge' },
        '415': { $ref: '#/components/responses/UnsupportedEncoding' },
        '503': { $ref: '#/components/responses/Unavailable' },
      },
    },
  };
}

/** Every provider's security schemes; two providers using the same header share one scheme. */
function securitySchemes(): JsonObject {
  const schemes: JsonObject = {};
  for (const provider of PROVIDERS) Object.assign(schemes, provider.auth.openApi);
  return schemes;
}

/** The OpenAPI 3.1 description of the ingress, served at GET /openapi.json. */
export function openApiDocument(): JsonObject {
  const webhookPaths: JsonObject = {};
  for (const provider of PROVIDERS) webhookPaths[`/webhooks/${provider.id}`] = webhookOperation(provider);
  return {
    openapi: '3.1.0',
    info: {
      title: 'hookline ingress',
      version: '1.0.0',
      summary: 'Receives job / run finished webhooks, stores each durably in a queue, answers at once.',
      description:
        'A 2xx is answered only after the event is stored durably. An authenticated event whose payload cannot be normalized is ' +
        'still accepted and kept as a failed event. Worker processes serve only `/healthz`, `/readyz`, `/metrics` and this document.',
    },
    tags: [
      { name: 'webhooks', description: 'One endpoint per provider' },
      { name: 'operations', description: 'Health, readiness, metrics' },
    ],
    paths: {
      ...webhookPaths,
      '/healthz': {
        get: {
          operationId: 'health',
          tags: ['operations'],
          summary: 'Liveness: 200 while the process runs',
          responses: {
            '200': {
              description: 'The process runs',
              content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } },
            },
          },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readiness',
          tags: ['operations'],
          summary: 'Readiness: Redis (or a spool with room) and the database, where the process uses one, answer',
          responses: {
            '200': { description: 'Ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Readiness' } } } },
            '503': { description: 'Not ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Readiness' } } } },
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          tags: ['operations'],
          summary: 'Prometheus metrics',
          responses: {
            '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          tags: ['operations'],
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
    components: {
      securitySchemes: securitySchemes(),
      schemas: {
        Accepted: {
          type: 'object',
          required: ['status', 'id'],
          properties: { status: { const: 'accepted' }, id: { type: 'string', description: 'The event key' } },
        },
        Duplicate: {
          type: 'object',
          required: ['status', 'id'],
          properties: { status: { const: 'duplicate' }, id: { type: 'string', description: 'The event key' } },
        },
        ConnectionTest: {
          type: 'object',
          required: ['status'],
          properties: { status: { const: 'ok' }, message: { type: 'string' } },
        },
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: { error: { enum: [...ERROR_CODES] }, message: { type: 'string' } },
        },
        Readiness: {
          type: 'object',
          required: ['status', 'checks'],
          properties: {
            status: { enum: ['ready', 'not_ready'] },
            checks: {
              type: 'object',
              description: '`spooling`: Redis is unreachable and the local spool, with room left, stores events meanwhile',
              additionalProperties: { enum: ['ok', 'unavailable', 'spooling'] },
            },
          },
        },
      },
      responses: {
        Accepted: {
          description: 'Accepted and durably stored',
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/Accepted' },
              example: { status: 'accepted', id: 'persona:evt_ABC123DEF456GHI789JKL012MNO345' },
            },
          },
        },
        Duplicate: {
          description: 'The same event key was seen within the dedup window; nothing new is queued',
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/Duplicate' },
              example: { status: 'duplicate', id: 'persona:evt_ABC123DEF456GHI789JKL012MNO345' },
            },
          },
        },
        InvalidJson: errorBody('invalid_json', 'The body is not JSON'),
        Unauthorized: errorBody('unauthorized', 'Missing or wrong signature, token or authorization, or a stale timestamp'),
        NotFound: errorBody('not_found', 'Unknown provider, or a provider with no credentials configured'),
        PayloadTooLarge: errorBody('payload_too_large', 'The body is larger than MAX_BODY_BYTES'),
        UnsupportedEncoding: errorBody('unsupported_encoding', 'A compressed body (Content-Encoding) is not accepted'),
        Unavailable: {
          ...errorBody('unavailable', 'The event could not be stored durably; retry later'),
          headers: {
            'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
          },
        },
      },
    },
  };
}
