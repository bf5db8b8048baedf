import type { ProviderId } from '../providers/registry.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** What differs between the five webhook endpoints; everything else is shared below. */
type ProviderDoc = {
  summary: string;
  description: string;
  security: JsonObject[];
  parameters: JsonObject[];
  /** A documented (or, where marked, representative) body, for the example. */
  example: JsonObject;
};

const header = (name: string, description: string, required: boolean): JsonObject => ({
  name,
  in: 'header',
  required,
  description,
  schema: { type: 'string' },
});

const PROVIDERS: Record<ProviderId, ProviderDoc> = {
  persona: {
    summary: 'Persona importer-pipeline-run events',
    description:
      'HMAC-SHA256 over `<t>.<raw body>` with a secret of `PERSONA_WEBHOOK_SECRET`, hex. During a secret rotation the header ' +
      'holds two space-separated `t=..,v1=..` sets. Event key: `persona:<data.id>`.',
    security: [{ personaSignature: [] }],
    parameters: [header('Persona-Signature', '`t=<unix seconds>,v1=<hex>`, optionally a second set after a space', true)],
    example: {
      data: {
        type: 'event',
        id: 'evt_ABC123DEF456GHI789JKL012MNO345',
        attributes: { name: 'importer-pipeline-run.errored', 'created-at': '2024-01-15T11:05:15.732Z', payload: {} },
      },
    },
  },
  plextera: {
    summary: 'Plextera workflow-run and document-extraction events',
    description:
      'HMAC-SHA256 over `<t>.<raw body>` with a secret of `PLEXTERA_WEBHOOK_SECRET`, hex. Event key: `plextera:<eventId>`.',
    security: [{ plexteraSignature: [] }],
    parameters: [
      header('X-Plextera-Signature', '`t=<unix seconds>,v1=<hex>`', true),
      header('X-Plextera-Event-Id', 'The event id, equal to `eventId` in the body', false),
    ],
    example: {
      eventId: 'evt_01JY7MWFFAIL00000000001',
      eventType: 'workflow.run.failed',
      occurredAt: '2026-04-07T10:12:30Z',
      apiVersion: 'v1',
      data: { runId: '69d224901610662a576cd7e6', status: 'FAILED' },
    },
  },
  primer: {
    summary: 'Primer WORKFLOW_RUN.FAILED events',
    description:
      'Base64 HMAC-SHA256 of the raw body with a secret of `PRIMER_WEBHOOK_SECRET`, in `X-Signature-Primary` or (for 24 hours after ' +
      'a rotation) `X-Signature-Secondary`. A `signedAt` body field, when present, must be within `WEBHOOK_TOLERANCE_SECONDS`. ' +
      "Primer's connection test `{\"message\":\"Testing your webhook connection\"}` is answered 200 and queues nothing. " +
      'Event key: `primer:<eventType>:<run.id>`.',
    security: [{ primerSignature: [] }],
    parameters: [
      header('X-Signature-Primary', 'base64 HMAC-SHA256 of the raw body', false),
      header('X-Signature-Secondary', 'the same with the other secret, after a rotation', false),
    ],
    example: {
      eventType: 'WORKFLOW_RUN.FAILED',
      version: '1.0',
      date: '2024-02-21 15:36:16.167687',
      workflow: { id: 'ecb8d3bc-123a-4d56-826e-ef8d4cc3d2a2', name: 'MIT UK Card', version: 8 },
      run: { timestamp: '2024-03-07T12:20:14.394429', id: 'bbb1c3cc-805d-4d97-826e-ef8d4cc3d2a2', status: 'FAILED' },
    },
  },
  reachfive: {
    summary: 'ReachFive import / export End Job Notification',
    description:
      'ReachFive signs nothing: the `Authorization` header must equal one of the values of `REACHFIVE_WEBHOOK_AUTHORIZATION` ' +
      '(the whole value, `Basic …` or `Bearer …`). It is checked before the body is read. Event key: `reachfive:<id>`.',
    security: [{ reachfiveBasic: [] }, { reachfiveBearer: [] }],
    parameters: [],
    example: {
      id: 'AXVLj7Rq2y8Qkpxt',
      type: 'import',
      status: 'SUCCESS',
      total_operations: 3,
      total_succeeded: 2,
      total_failed: 1,
      created_at: '2020-11-21T14:26:10.345Z',
      updated_at: '2020-11-21T14:26:11.630Z',
      definition_id: 'AWstKcqw5seX89',
      definition_name: 'User import',
    },
  },
  personaclick: {
    summary: 'PersonaClick long-process webhooks (imports, segment recalculations, bulk campaigns)',
    description:
      'PersonaClick signs nothing: the `token` query parameter must equal one of the values of `PERSONACLICK_WEBHOOK_TOKEN`. ' +
      'It is checked before the body is read. Event key: `personaclick:<sha256 of the raw body, hex>`.',
    security: [{ personaclickToken: [] }],
    parameters: [],
    example: { status: 'success', segment_id: '100500', task_id: '12345', operation: 'import_segment' },
  },
};

const errorBody = (code: string, description: string): JsonObject => ({
  description,
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/Error' },
      example: { error: code, message: description },
    },
  },
});

function webhookOperation(provider: ProviderId, doc: ProviderDoc): JsonObject {
  const ok: JsonObject =
    provider === 'primer'
      ? {
          description: 'The same event key again (`duplicate`), or Primer\'s connection test (`ok`, nothing queued)',
          content: {
            'application/json': {
              schema: { oneOf: [{ $ref: '#/components/schemas/Duplicate' }, { $ref: '#/components/schemas/ConnectionTest' }] },
            },
          },
        }
      : { $ref: '#/components/responses/Duplicate' };
  return {
    post: {
      operationId: `receive${provider[0]?.toUpperCase()}${provider.slice(1)}Webhook`,
      tags: ['webhooks'],
      summary: doc.summary,
      description: `${doc.description} The endpoint answers 404 while its variable is unset.`,
      security: doc.security,
      parameters: doc.parameters,
      requestBody: {
        required: true,
        description: `The provider's JSON exactly as sent, at most \`MAX_BODY_BYTES\`. Uncompressed. Authenticated on the raw bytes.`,
        content: { 'application/json': { schema: { type: 'object' }, example: doc.example } },
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

/** The OpenAPI 3.1 description of the ingress, served at GET /openapi.json. */
export function openApiDocument(): JsonObject {
  const webhookPaths: JsonObject = {};
  for (const [provider, doc] of Object.entries(PROVIDERS) as [ProviderId, ProviderDoc][]) {
    webhookPaths[`/webhooks/${provider}`] = webhookOperation(provider, doc);
  }
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
      securitySchemes: {
        personaSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'Persona-Signature',
          description: 'HMAC-SHA256 signature, `t=<unix>,v1=<hex>` (not a static key)',
        },
        plexteraSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Plextera-Signature',
          description: 'HMAC-SHA256 signature, `t=<unix>,v1=<hex>` (not a static key)',
        },
        primerSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Signature-Primary',
          description: 'Base64 HMAC-SHA256 of the body (or X-Signature-Secondary); not a static key',
        },
        reachfiveBasic: { type: 'http', scheme: 'basic', description: 'Compared whole with REACHFIVE_WEBHOOK_AUTHORIZATION' },
        reachfiveBearer: { type: 'http', scheme: 'bearer', description: 'Compared whole with REACHFIVE_WEBHOOK_AUTHORIZATION' },
        personaclickToken: { type: 'apiKey', in: 'query', name: 'token', description: 'One of PERSONACLICK_WEBHOOK_TOKEN' },
      },
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
          required: ['error'],
          properties: { error: { type: 'string' }, message: { type: 'string' } },
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
        NotFound: {
          description: 'Unknown provider, or a provider with no credentials configured',
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: 'not_found' } },
          },
        },
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
