import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { alertKey, type AlertItem } from '../../src/alerts/alert-item.ts';
import { createDigestCollector } from '../../src/alerts/digest-collector.ts';
import { Pacer } from '../../src/alerts/pacer.ts';
import type { EventStatus } from '../../src/normalizers/normalized-event.ts';
import { SinkError } from '../../src/shared/errors.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import type { AlertSink } from '../../src/sinks/sink.ts';
import { sampleEvent } from '../sinks/sample-event.ts';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterAll(() => {
  redis.disconnect();
});

const item = (n: number, status: EventStatus = 'failed'): AlertItem => ({ kind: 'event', event: sampleEvent({ id: `persona:evt_${n}`, status }) });

type Sent = { at: number; keys: string[] };

/** A destination that records what it is sent and answers with `answer` (success when it returns nothing). */
function recordingSink(answer: (items: readonly AlertItem[]) => SinkError | undefined = () => undefined): AlertSink & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    id: 'test',
    kind: 'slack',
    policy: { concurrency: 40, recordDeliveries: true },
    sent,
    accepts: () => true,
    capacity: (items) => items.length,
    async send(items) {
      const error = answer(items);
      sent.push({ at: Date.now(), keys: items.map(alertKey) });
      if (error) throw error;
    },
    close: async () => undefined,
  };
}

function collector(sink: AlertSink, intervalMs: number, digestMax = 20) {
  return createDigestCollector({
    sink,
    pacer: new Pacer(redis, `test:pace:${randomUUID()}`, intervalMs),
    digestMax,
    sendTimeoutMs: 5_000,
    logger: createLogger('silent'),
    metrics: createMetrics({ defaultMetrics: false }),
  });
}

describe('digest collector', () => {
  it('sends a lone alert at once, and a burst as digests at the pace, failures first', async () => {
    const sink = recordingSink();
    const c = collector(sink, 300);
    const started = Date.now();
    await c.deliver(item(0));
    expect(Date.now() - started).toBeLessThan(250);
    // The slot just used: the burst waits for the next, then goes out 20 at a time.
    const burst = [...Array.from({ length: 30 }, (_, i) => item(100 + i, 'succeeded')), ...Array.from({ length: 15 }, (_, i) => item(200 + i, 'failed'))];
    await Promise.all(burst.map((b) => c.deliver(b)));
    expect(sink.sent.map((s) => s.keys.length)).toEqual([1, 20, 20, 5]);
    // The 15 failures queued after 30 successes still went in the first digest.
    expect(sink.sent[1]?.keys.slice(0, 15)).toEqual(Array.from({ length: 15 }, (_, i) => `persona:evt_${200 + i}`));
    const gaps = sink.sent.slice(1).map((s, i) => s.at - (sink.sent[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(280);
    c.close();
  });

  it('holds the destination for Retry-After on a 429, without failing the alerts', async () => {
    let limited = 1;
    const sink = recordingSink(() => (limited-- > 0 ? new SinkError('test', 'rate limited', { retryable: true, retryAfterMs: 1_200 }) : undefined));
    const c = collector(sink, 100);
    const started = Date.now();
    await Promise.all([c.deliver(item(1)), c.deliver(item(2))]);
    expect(sink.sent).toHaveLength(2);
    expect(sink.sent[1]?.at ?? 0).toBeGreaterThanOrEqual(started + 1_150);
    expect(sink.sent[1]?.keys).toEqual(['persona:evt_1', 'persona:evt_2']);
    c.close();
  });

  it('splits a digest refused for good until only the refused alert fails', async () => {
    const sink = recordingSink((items) =>
      items.some((i) => alertKey(i) === 'persona:evt_7') ? new SinkError('test', 'invalid_blocks', { retryable: false }) : undefined,
    );
    const c = collector(sink, 20);
    // Fill the collector while the first slot is taken, so the eleven go out together first.
    await c.deliver(item(99));
    const results = await Promise.allSettled(Array.from({ length: 11 }, (_, i) => c.deliver(item(i))));
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(rejected).toEqual([7]);
    const delivered = sink.sent.slice(1).filter((s) => !s.keys.includes('persona:evt_7')).flatMap((s) => s.keys);
    expect(new Set(delivered).size).toBe(10);
    expect(delivered).toHaveLength(10);
    expect(sink.sent[1]?.keys).toHaveLength(11);
    c.close();
  });

  it('fails every alert of a message that failed for a retryable reason; their jobs retry', async () => {
    const sink = recordingSink(() => new SinkError('test', 'Slack answered 503', { retryable: true }));
    const c = collector(sink, 20);
    const results = await Promise.allSettled([c.deliver(item(1)), c.deliver(item(2))]);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof SinkError && r.reason.retryable)).toBe(true);
    c.close();
  });

  it('keeps one pace across collectors (processes) sharing a destination', async () => {
    const sink = recordingSink();
    const key = `test:pace:${randomUUID()}`;
    const make = () =>
      createDigestCollector({
        sink,
        pacer: new Pacer(redis, key, 250),
        digestMax: 20,
        sendTimeoutMs: 5_000,
        logger: createLogger('silent'),
        metrics: createMetrics({ defaultMetrics: false }),
      });
    const a = make();
    const b = make();
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).deliver(item(i))));
    const times = sink.sent.map((s) => s.at).sort((x, y) => x - y);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(230);
    expect(sink.sent.flatMap((s) => s.keys).sort()).toHaveLength(8);
    a.close();
    b.close();
  });
});
