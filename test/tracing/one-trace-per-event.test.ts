import { SpanKind, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { FlowProducer, Queue, type FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueEventStore } from '../../src/ingress/event-store.ts';
import type { ProviderId } from '../../src/providers/registry.ts';
import { INGEST_QUEUE, type RawEvent } from '../../src/queue/contract.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { ENQUEUE_SPAN_NAME, REQUEST_SPAN_NAME, traceEventStore } from '../../src/tracing/ingress-tracing.ts';
import { contextOfJobMetadata, inContextOfFirstJob, queueTelemetry, withTraceContext } from '../../src/tracing/queue-tracing.ts';
import { DATABASE_SPAN_NAME } from '../../src/tracing/sink-tracing.ts';
import { registerTracingForTests, tracer, tracingEnabled, type Tracing } from '../../src/tracing/tracing.ts';
import { HooklineProcess } from '../faults/support/hookline-process.ts';
import { fixture } from '../support/fixtures.ts';
import { startTestIngress, type TestIngress } from '../support/harness.ts';
import { createTestDatabase, waitFor } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';
import { SmtpStandIn } from '../support/smtp-stand-in.ts';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

/*
 * One trace per event, across processes: the ingress runs here, with its spans in an in-memory
 * exporter; the worker is a real `src/main.ts worker` process whose tracer provider exports over
 * OTLP/HTTP to a receiver started here. Two separately initialized providers, one trace per event.
 */

type Span = ReceivedSpan & { process: 'ingress' | 'worker' };

/** OTLP's span kinds are the API's plus one (0 is UNSPECIFIED). */
const OTLP = { SERVER: SpanKind.SERVER + 1, CLIENT: SpanKind.CLIENT + 1, PRODUCER: SpanKind.PRODUCER + 1, CONSUMER: SpanKind.CONSUMER + 1 };

function fromMemory(span: ReadableSpan): Span {
  return {
    process: 'ingress',
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind + 1,
    attributes: { ...span.attributes },
    resource: { ...span.resource.attributes },
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId, attributes: { ...link.attributes } })),
    events: span.events.map((event) => ({ name: event.name, attributes: { ...event.attributes } })),
    status: { code: span.status.code },
  };
}

const exporter = new InMemorySpanExporter();
const receiver = new OtlpReceiver();
let tracing: Tracing;
let slack: SlackStandIn;
let smtp: SmtpStandIn;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let ingress: TestIngress;
const worker = new HooklineProcess('worker', 'traced worker');

beforeAll(async () => {
  tracing = await registerTracingForTests(exporter, { role: 'ingress' });
  await receiver.start();
  slack = await new SlackStandIn().start();
  smtp = await new SmtpStandIn().start();
  database = await createTestDatabase();
  ingress = await startTestIngress();
  const destinations = {
    SLACK_WEBHOOK_URL: slack.url,
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'hookline@example.com',
    EMAIL_TO: 'oncall@example.com',
    EMAIL_MAX_PER_MINUTE: '600',
  };
  await worker.start({
    REDIS_URL: ingress.config.redisUrl,
    QUEUE_PREFIX: ingress.config.queuePrefix,
    ...database.env,
    ...destinations,
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '3000',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
}, 90_000);

afterAll(async () => {
  await worker.stop();
  await ingress?.close();
  await tracing?.shutdown();
  await slack?.stop();
  await smtp?.stop();
  await receiver.stop();
  await database?.drop();
});

function allSpans(): Span[] {
  return [...exporter.getFinishedSpans().map(fromMemory), ...receiver.spans.map((span) => ({ ...span, process: 'worker' as const }))];
}

const key = (span: Span) => span.attributes['hookline.event.key'];

/** Each send span of an event: a single message (a child of the job span) or a digest linking to it. */
function sendsOf(spans: Span[], jobSpan: Span, destination: string): Span[] {
  return spans.filter(
    (span) =>
      span.name === `send ${destination}` &&
      span.attributes['hookline.outcome'] === 'delivered' &&
      (span.parentSpanId === jobSpan.spanId || span.links.some((link) => link.spanId === jobSpan.spanId)),
  );
}

/** The tree of one trace, names indented under their parents, for the test's log and for failures. */
function render(spans: Span[], traceId: string): string {
  const mine = spans.filter((span) => span.traceId === traceId);
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of mine.filter((s) => s.parentSpanId === parent || (depth === 0 && s.parentSpanId !== undefined && !mine.some((p) => p.spanId === s.parentSpanId) && parent === undefined))) {
      const detail = ['hookline.outcome', 'hookline.destination.id', 'hookline.alert.count', 'hookline.retry_after_ms']
        .filter((k) => span.attributes[k] !== undefined)
        .map((k) => `${k.replace('hookline.', '')}=${String(span.attributes[k])}`)
        .join(' ');
      lines.push(`${'  '.repeat(depth)}${span.name} [${span.process}]${detail ? ` ${detail}` : ''}${span.links.length ? ` links=${span.links.length}` : ''}`);
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

describe('one trace per event, ingress process → worker process', () => {
  it('covers request → enqueue → normalize → database → each sink send, with the right parents', { timeout: 90_000 }, async () => {
    // The first Slack message gets a 429: its send is rate limited, then sent again.
    slack.answerNext({ status: 429, body: '{"ok":false,"error":"rate_limited"}', headers: { 'retry-after': '1', 'content-type': 'application/json' } });
    const concurrent: Array<[ProviderId, string]> = [
      ['persona', 'importer-pipeline-run.errored'],
      ['plextera', 'workflow.run.failed'],
      ['primer', 'workflow-run-failed'],
    ];
    // Sent at once: they share the ingest addBulk (and the workers' fan-out batches, digests).
    const answers = await Promise.all(concurrent.map(([provider, name]) => sendSigned(ingress.baseUrl, provider, fixture(provider, name))));
    for (const answer of answers) expect(answer.status).toBe(202);
    const keys = answers.map((answer) => String(answer.body.id));
    // Then one alone, once the pace has room again: a single message, a child of its job's span.
    const settledSends = () => keys.every((k) => ['slack', 'email'].every((d) => {
      const spans = allSpans();
      const job = spans.find((s) => s.name === `process deliver-${d}` && s.traceId === spans.find((r) => r.name === REQUEST_SPAN_NAME && key(r) === k)?.traceId);
      return job !== undefined && sendsOf(spans, job, d).length > 0;
    }));
    await waitFor(async () => settledSends(), 30_000, 'the first events sent to Slack and email');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const alone = await sendSigned(ingress.baseUrl, 'reachfive', fixture('reachfive', 'export.failure'));
    expect(alone.status).toBe(202);
    keys.push(String(alone.body.id));
    await waitFor(async () => settledSends(), 30_000, 'every event sent to Slack and email');

    const spans = allSpans();
    const traceIds = new Set<string>();
    for (const eventKey of keys) {
      const request = spans.find((span) => span.name === REQUEST_SPAN_NAME && key(span) === eventKey);
      expect(request, `request span of ${eventKey}`).toBeDefined();
      if (!request) continue;
      const traceId = request.traceId;
      traceIds.add(traceId);
      const inTrace = spans.filter((span) => span.traceId === traceId);
      const tree = render(spans, traceId);
      console.log(`trace of ${eventKey} (${traceId}):\n${tree}`);

      // The ingress: a root SERVER span, its enqueue PRODUCER span under it.
      expect(request).toMatchObject({ process: 'ingress', parentSpanId: undefined, kind: OTLP.SERVER });
      expect(request.attributes).toMatchObject({ 'http.route': '/webhooks/:provider', 'http.response.status_code': 202, 'hookline.outcome': 'accepted' });
      expect(request.resource).toMatchObject({ 'service.name': 'hookline', 'hookline.role': 'ingress' });
      const enqueue = inTrace.find((span) => span.name === ENQUEUE_SPAN_NAME);
      expect(enqueue, tree).toMatchObject({ parentSpanId: request.spanId, kind: OTLP.PRODUCER, attributes: { 'hookline.event.key': eventKey, 'hookline.outcome': 'accepted' } });

      // The worker process: BullMQ's consumer span continues the trace from the enqueue span.
      const normalize = inTrace.find((span) => span.name === `process ${INGEST_QUEUE}`);
      expect(normalize, tree).toMatchObject({ process: 'worker', parentSpanId: enqueue?.spanId, kind: OTLP.CONSUMER });
      expect(normalize?.resource).toMatchObject({ 'service.name': 'hookline', 'hookline.role': 'worker' });
      const write = inTrace.find((span) => span.name === DATABASE_SPAN_NAME);
      expect(write, tree).toMatchObject({ parentSpanId: normalize?.spanId, attributes: { 'hookline.event.key': eventKey, 'hookline.outcome': 'delivered', 'hookline.database.via': 'in_place' } });

      // Each destination: its job's consumer span under the normalize span, its send under that
      // (or, for a digest, a send in a trace of its own that links to the job span).
      for (const destination of ['slack', 'email']) {
        const job = inTrace.find((span) => span.name === `process deliver-${destination}`);
        expect(job, `${destination} job of ${eventKey}\n${tree}`).toMatchObject({ parentSpanId: normalize?.spanId, kind: OTLP.CONSUMER });
        if (!job) continue;
        const sends = sendsOf(spans, job, destination);
        expect(sends.length, `${destination} send of ${eventKey}\n${tree}`).toBe(1);
        const send = sends[0];
        if (send?.parentSpanId === job.spanId) {
          expect(send).toMatchObject({ traceId, kind: OTLP.CLIENT, attributes: { 'hookline.destination.id': destination, 'hookline.alert.count': 1, 'hookline.event.key': eventKey } });
        } else {
          // A digest: its own trace, not this event's; its job span names it.
          expect(send?.traceId).not.toBe(traceId);
          expect(send?.parentSpanId).toBeUndefined();
          expect(send?.attributes['hookline.alert.form']).toBe('digest');
          expect(job.events.some((event) => event.name === 'digest send' && event.attributes['hookline.digest.trace_id'] === send?.traceId)).toBe(true);
        }
      }
      // Nothing of this event in another event's trace.
      expect(spans.filter((span) => key(span) === eventKey && span.attributes['hookline.alert.form'] !== 'digest').every((span) => span.traceId === traceId)).toBe(true);
    }
    expect(traceIds.size).toBe(keys.length);
    for (const digest of spans.filter((span) => span.attributes['hookline.alert.form'] === 'digest')) {
      const linked = digest.links.map((link) => String(link.attributes['hookline.event.key'])).join(', ');
      console.log(`digest trace ${digest.traceId}: ${digest.name} outcome=${String(digest.attributes['hookline.outcome'])} alert.count=${String(digest.attributes['hookline.alert.count'])} links → ${linked}`);
      // Each link points at a job span of a trace that is one event's.
      for (const link of digest.links) expect(traceIds.has(link.traceId)).toBe(true);
    }

    // The 429: a rate-limited Slack send with its Retry-After, in some event's trace or a digest's.
    const limited = spans.find((span) => span.name === 'send slack' && span.attributes['hookline.outcome'] === 'rate_limited');
    expect(limited?.attributes['hookline.retry_after_ms']).toBe(1000);
    // The event sent alone got a single Slack message, a child of its job's span.
    const aloneTrace = spans.find((span) => span.name === REQUEST_SPAN_NAME && key(span) === alone.body.id)?.traceId;
    expect(spans.some((span) => span.name === 'send slack' && span.traceId === aloneTrace && span.attributes['hookline.alert.form'] === 'single')).toBe(true);

    // No secrets or bodies: no attribute holds a credential, a URL of a sink, or a payload.
    const everything = JSON.stringify(spans.map((span) => [span.attributes, span.events, span.links]));
    expect(everything).not.toContain(slack.url);
    expect(everything).not.toContain('test-current-');
    expect(everything).not.toContain('oncall@example.com');
  });

  it('gives each job of one addBulk batch its own request context', async () => {
    expect(tracingEnabled()).toBe(true);
    const redis = new Redis(ingress.config.redisUrl, { maxRetriesPerRequest: null });
    const prefix = `${ingress.config.queuePrefix}b`;
    const store = traceEventStore(
      createQueueEventStore({ redis, prefix, timeoutMs: 5_000, logger: createLogger('error'), dedupWindowMs: () => 60_000 }),
    );
    const events: RawEvent[] = [1, 2, 3].map((n) => ({ provider: 'persona', key: `persona:batch-${n}-${Date.now()}`, receivedAt: new Date().toISOString(), body: '{}', headers: {} }));
    const requests = events.map((event) => tracer().startSpan(`request ${event.key}`));
    // All in one tick: one addBulk for the three.
    const stored = events.map((event, index) => context.with(trace.setSpan(context.active(), requests[index]!), () => store.store(event)));
    expect(await Promise.all(stored)).toEqual(['accepted', 'accepted', 'accepted']);
    for (const span of requests) span.end();

    const queue = new Queue(INGEST_QUEUE, { connection: redis, prefix });
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs).toHaveLength(3);
    const finished = exporter.getFinishedSpans();
    const bulk = finished.filter((span) => span.name === `addBulk ${INGEST_QUEUE}` && span.attributes['bullmq.job.bulk.count'] === 3);
    expect(bulk).toHaveLength(1);
    for (const [index, event] of events.entries()) {
      const job = jobs.find((j) => j.data.key === event.key);
      const carried = trace.getSpanContext(contextOfJobMetadata(job?.opts.telemetry?.metadata) ?? context.active());
      const enqueue = finished.find((span) => span.name === ENQUEUE_SPAN_NAME && span.attributes['hookline.event.key'] === event.key);
      // The job carries its own enqueue span, in its own request's trace.
      expect(carried?.spanId).toBe(enqueue?.spanContext().spanId);
      expect(carried?.traceId).toBe(requests[index]!.spanContext().traceId);
    }
    // BullMQ's one addBulk span belongs to the trace of the request that opened the batch.
    expect(bulk[0]?.spanContext().traceId).toBe(requests[0]!.spanContext().traceId);
    await queue.obliterate({ force: true });
    await queue.close();
    await store.close();
    redis.disconnect();
  });

  it('gives each fan-out job of one FlowProducer batch its own event context', async () => {
    const redis = new Redis(ingress.config.redisUrl, { maxRetriesPerRequest: null });
    const prefix = `${ingress.config.queuePrefix}f`;
    const flow = new FlowProducer({ connection: redis, prefix, ...queueTelemetry() });
    // Two events' consumer spans, each stamping its own jobs; one addBulk carries both.
    const consumers = ['a', 'b'].map((name) => tracer().startSpan(`process ${name}`));
    const batches = consumers.map((span, index) =>
      context.with(trace.setSpan(context.active(), span), () => withTraceContext<FlowJob>([{ name: 'persona', queueName: 'deliver-slack', data: { n: index }, opts: { jobId: `job-${index}` } }])),
    );
    await inContextOfFirstJob(batches.flat(), (all) => flow.addBulk(all));
    for (const span of consumers) span.end();
    const queue = new Queue('deliver-slack', { connection: redis, prefix });
    for (const [index, span] of consumers.entries()) {
      const job = await queue.getJob(`job-${index}`);
      const carried = trace.getSpanContext(contextOfJobMetadata(job?.opts.telemetry?.metadata) ?? context.active());
      expect(carried).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    }
    const bulk = exporter.getFinishedSpans().find((span) => span.name === 'addBulkFlows' && span.parentSpanContext?.spanId === consumers[0]!.spanContext().spanId);
    expect(bulk).toBeDefined();
    await queue.obliterate({ force: true });
    await queue.close();
    await flow.close();
    redis.disconnect();
  });
});
