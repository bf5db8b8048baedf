import { PROVIDER_IDS } from '../../src/providers/registry.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { evaluateReadiness, type ReadinessCheck } from '../../src/ingress/readiness.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createQueueDepthSource } from '../../src/shared/queue-depth.ts';
import { createIngressRedis } from '../../src/shared/redis.ts';
import { fixture } from '../support/fixtures.ts';
import { createTestSchema, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { parsePrometheus, sampleValue, scrape, type Sample } from '../support/prometheus.ts';
import { freePort } from '../support/services.ts';
import { post, sendSigned, sign } from '../support/signing.ts';
import { SlackStandIn } from '../support/slack-stand-in.ts';

const databaseUrl = inject('databaseUrl');
let slack: SlackStandIn;
let schema: Awaited<ReturnType<typeof createTestSchema>> | undefined;
let dataDir: string | undefined;
let p: TestPipeline;

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  let database: Record<string, string>;
  if (databaseUrl) {
    schema = await createTestSchema();
    database = { DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'hookline-metrics-'));
    database = { DATA_DIR: dataDir };
  }
  p = await startTestPipeline({ ...database, SLACK_WEBHOOK_URL: slack.url });
});

afterAll(async () => {
  await p?.close();
  await schema?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await slack?.stop();
});

const value = (samples: readonly Sample[], name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels) ?? 0;

describe('GET /metrics after signed webhooks', () => {
  let samples: Sample[];

  beforeAll(async () => {
    const body = fixture('persona', 'importer-pipeline-run.errored');
    expect((await sendSigned(p.baseUrl, 'persona', body)).status).toBe(202);
    expect((await sendSigned(p.baseUrl, 'persona', body)).status).toBe(200);
    expect((await post(p.baseUrl, 'persona', body, sign('persona', body, { credential: 'wrong' }))).status).toBe(401);
    expect((await sendSigned(p.baseUrl, 'persona', '{"not json')).status).toBe(400);
    expect((await sendSigned(p.baseUrl, 'primer', fixture('primer', 'connection-test'))).status).toBe(200);
    for (const path of ['nope', 'a-b-c', 'x'.repeat(40)]) expect((await post(p.baseUrl, path, '{}')).status).toBe(404);

    // The queue counts are cached for a few seconds; wait until a scrape shows the event's jobs done.
    samples = await waitFor(
      async () => {
        const current = await scrape(p.baseUrl);
        const done =
          value(current, 'hookline_deliveries_total', { sink: 'slack', outcome: 'delivered' }) === 1 &&
          value(current, 'hookline_deliveries_total', { sink: 'database', outcome: 'delivered' }) === 1 &&
          value(current, 'hookline_queue_jobs', { queue: 'deliver-slack', state: 'completed' }) === 1 &&
          // The ingest job completes after its fan-out, so Slack's job can finish first.
          value(current, 'hookline_queue_jobs', { queue: 'ingest', state: 'completed' }) === 1;
        return done && current;
      },
      20_000,
      'the event delivered to both sinks and counted',
    );
  });

  it('counts requests by provider and HTTP status, unknown paths as one bounded "unknown"', () => {
    const requests = (labels: Record<string, string>) => value(samples, 'hookline_webhook_requests_total', labels);
    expect(requests({ provider: 'persona', status: '202' })).toBe(1);
    expect(requests({ provider: 'persona', status: '200' })).toBe(1);
    expect(requests({ provider: 'persona', status: '401' })).toBe(1);
    expect(requests({ provider: 'persona', status: '400' })).toBe(1);
    expect(requests({ provider: 'primer', status: '200' })).toBe(1);
    expect(requests({ provider: 'unknown', status: '404' })).toBe(3);
    const providers = new Set(samples.filter((s) => s.name.startsWith('hookline_webhook_')).map((s) => s.labels.provider));
    expect([...providers].sort()).toEqual([...PROVIDER_IDS, 'unknown'].sort());
  });

  it('counts events accepted, duplicate and connection tests, and rejections by reason', () => {
    const events = (provider: string, outcome: string) => value(samples, 'hookline_webhook_events_total', { provider, outcome });
    expect(events('persona', 'accepted')).toBe(1);
    expect(events('persona', 'duplicate')).toBe(1);
    expect(events('primer', 'connection_test')).toBe(1);
    expect(sampleValue(samples, 'hookline_webhook_events_total', { provider: 'reachfive', outcome: 'accepted' })).toBe(0);

    const rejections = (provider: string, reason: string) => value(samples, 'hookline_webhook_rejections_total', { provider, reason });
    expect(rejections('persona', 'unauthorized')).toBe(1);
    expect(rejections('persona', 'invalid_json')).toBe(1);
    expect(rejections('unknown', 'not_found')).toBe(3);
  });

  it('measures enqueue latency for every stored or deduplicated event', () => {
    expect(value(samples, 'hookline_enqueue_duration_seconds_count')).toBe(2);
    expect(value(samples, 'hookline_enqueue_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
  });

  it('reports queue depth per queue and state', () => {
    for (const queue of ['ingest', 'deliver-database', 'deliver-slack']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
        expect(sampleValue(samples, 'hookline_queue_jobs', { queue, state }), `${queue} ${state}`).toBeTypeOf('number');
      }
    }
    expect(value(samples, 'hookline_queue_jobs', { queue: 'ingest', state: 'completed' })).toBe(1);
    expect(value(samples, 'hookline_queue_jobs', { queue: 'ingest', state: 'waiting' })).toBe(0);
    // Email is not configured here: no series for its queue.
    expect(samples.some((s) => s.name === 'hookline_queue_jobs' && s.labels.queue === 'deliver-email')).toBe(false);
  });

  it('counts deliveries by sink and outcome, and received-to-delivered latency per sink', () => {
    for (const sink of ['database', 'slack']) {
      expect(value(samples, 'hookline_received_to_delivered_seconds_count', { sink })).toBe(1);
      expect(value(samples, 'hookline_received_to_delivered_seconds_sum', { sink })).toBeLessThan(20);
    }
    expect(value(samples, 'hookline_events_normalized_total', { provider: 'persona', outcome: 'normalized' })).toBe(1);
  });

  it('exposes the spool gauge', () => {
    expect(sampleValue(samples, 'hookline_spool_events')).toBeTypeOf('number');
  });

  it('reports each readiness check as /readyz sees it', async () => {
    const ready = samples.filter((s) => s.name === 'hookline_ready');
    expect(ready.map((s) => s.labels.check)).toContain('redis');
    expect(ready.every((s) => s.value === 1)).toBe(true);
    expect((await fetch(`${p.baseUrl}/readyz`)).status).toBe(200);
  });
});

describe('metrics registry', () => {
  it('includes process metrics under the hookline_ prefix', async () => {
    const samples = parsePrometheus(await createMetrics().registry.metrics());
    for (const name of ['hookline_process_cpu_seconds_total', 'hookline_process_resident_memory_bytes', 'hookline_nodejs_eventloop_lag_seconds']) {
      expect(sampleValue(samples, name), name).toBeTypeOf('number');
    }
  });

  it('reports a failing readiness check as 0 and a passing or stood-in one as 1, at every scrape', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let redisUp = false;
    const checks: ReadinessCheck[] = [
      { name: 'redis', check: async () => { if (!redisUp) throw new Error('down'); } },
      { name: 'database', check: async () => undefined },
      { name: 'spooled', check: async () => { throw new Error('down'); }, standIn: () => 'spooling' },
    ];
    metrics.useReadinessSource(() => evaluateReadiness(checks));
    const read = async () => Object.fromEntries(parsePrometheus(await metrics.registry.metrics()).filter((s) => s.name === 'hookline_ready').map((s) => [s.labels.check, s.value]));
    expect(await read()).toEqual({ redis: 0, database: 1, spooled: 1 });
    redisUp = true;
    expect(await read()).toEqual({ redis: 1, database: 1, spooled: 1 });
  });

  it('answers a scrape at once without queue figures while Redis is unreachable', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const redis = createIngressRedis(`redis://127.0.0.1:${await freePort()}`);
    redis.on('error', () => undefined);
    const source = createQueueDepthSource({ connection: redis, prefix: 'unreachable', queueNames: ['ingest'], timeoutMs: 500 });
    metrics.useQueueDepthSource(source.read);
    const started = Date.now();
    const samples = parsePrometheus(await metrics.registry.metrics());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(samples.some((s) => s.name === 'hookline_queue_jobs')).toBe(false);
    await source.close();
    redis.disconnect();
  });
});
