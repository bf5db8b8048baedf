import { ProxyTracerProvider, context, propagation, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/ingress/event-store.ts';
import { traceEventStore, traceWebhookRequests } from '../../src/tracing/ingress-tracing.ts';
import { ingestJobTelemetry, queueTelemetry, withTraceContext } from '../../src/tracing/queue-tracing.ts';
import { initTracing, loggableEndpoint, otlpTracesUrl, tracingEnabled } from '../../src/tracing/tracing.ts';
import { HooklineProcess } from '../faults/support/hookline-process.ts';
import { fixture } from '../support/fixtures.ts';
import { CREDENTIAL_ENV, sendSigned } from '../support/signing.ts';
import { createTestDatabase, waitFor } from '../support/pipeline.ts';
import { OtlpReceiver } from './otlp-receiver.ts';
import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { INGEST_QUEUE } from '../../src/queue/contract.ts';

/*
 * Without OTEL_EXPORTER_OTLP_ENDPOINT nothing is registered: the API keeps its no-op tracer, the
 * helpers hand back what they were given, jobs carry no trace context, and a real process sends
 * nothing, not even to the OTLP default address (localhost:4318).
 */

describe('the environment decides', () => {
  it('turns tracing on only with an OTLP endpoint', () => {
    expect(otlpTracesUrl({})).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c.example/otlp/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other' })).toBe('https://c.example/otlp/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(() => otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(/not a URL/);
    expect(() => otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' })).toThrow(/http/);
    expect(loggableEndpoint('https://user:secret@c.example:4318/v1/traces?k=v')).toBe('https://c.example:4318/v1/traces');
  });
});

describe('with no endpoint set', () => {
  it('registers nothing and leaves the no-op tracer', async () => {
    const tracing = await initTracing({ role: 'all', env: {} });
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const provider = trace.getTracerProvider() as ProxyTracerProvider;
    // The API's proxy with no delegate behind it: the no-op tracer.
    expect(provider.getDelegateTracer('hookline')).toBeUndefined();
    const span = trace.getTracer('hookline').startSpan('anything');
    expect(span.isRecording()).toBe(false);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    expect(carrier).toEqual({});
    await tracing.shutdown();
  });

  it('hands back the listener, the store and the jobs unchanged, and gives BullMQ no telemetry', () => {
    const listener = () => undefined;
    expect(traceWebhookRequests(listener)).toBe(listener);
    const store: EventStore = { store: async () => 'accepted', close: async () => undefined };
    expect(traceEventStore(store)).toBe(store);
    expect(queueTelemetry()).toEqual({});
    const jobs = [{ name: 'x', opts: {} }];
    expect(withTraceContext(jobs)).toBe(jobs);
    expect(ingestJobTelemetry({ provider: 'persona', key: 'k', receivedAt: '', body: '', headers: {} })).toEqual({});
  });
});

describe('real processes with no endpoint set', () => {
  // The OTLP exporter's default address: an exporter registered by mistake would send here.
  const defaultReceiver = new OtlpReceiver();
  let listening = false;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const hookline = new HooklineProcess('all', 'untraced all-in-one');
  const prefix = `t${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    listening = await defaultReceiver.start(4318, '127.0.0.1').then(
      () => true,
      () => false,
    );
    database = await createTestDatabase();
    await hookline.start({
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: prefix,
      ...database.env,
      ...CREDENTIAL_ENV,
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '3000',
      OTEL_SERVICE_NAME: 'hookline-untraced',
    });
  }, 60_000);
  afterAll(async () => {
    await hookline.stop();
    await defaultReceiver.stop();
    await database?.drop();
  });

  it('exports nothing and stores no trace context in the jobs', { timeout: 60_000 }, async () => {
    const answer = await sendSigned(hookline.baseUrl, 'persona', fixture('persona', 'importer-pipeline-run.errored'));
    expect(answer.status).toBe(202);
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const queue = new Queue(INGEST_QUEUE, { connection: redis, prefix });
    const job = await waitFor(async () => (await queue.getJobs(['completed'])).find((j) => j.data.key === answer.body.id), 20_000, 'the event normalized');
    expect(job.opts.telemetry).toBeUndefined();
    const raw = await redis.hget(`${prefix}:${INGEST_QUEUE}:${job.id}`, 'opts');
    expect(raw).not.toContain('"tm"');
    await hookline.stop();
    expect(hookline.lines.join('\n')).not.toContain('tracing on');
    if (listening) {
      expect(defaultReceiver.requests).toBe(0);
    }
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });
});
