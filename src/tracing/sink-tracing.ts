import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { alertKey, type AlertItem } from '../alerts/alert-item.ts';
import type { DigestCollector } from '../alerts/digest-collector.ts';
import type { NormalizedEvent } from '../normalizers/normalized-event.ts';
import { SinkError } from '../shared/errors.ts';
import type { AlertSink } from '../sinks/sink.ts';
import { tracer, tracingEnabled } from './tracing.ts';

/*
 * The workers' own spans, inside BullMQ's `process <queue>` consumer spans: the database write of
 * an event, and each message sent to a Slack or email destination. Recorded: the destination id
 * and kind, the event key (or `stuck:<incident>`), how many alerts a message carried, the outcome
 * (delivered, rate_limited with the Retry-After, refused, failed) and the error's class. Never
 * recorded: message texts, webhook URLs, addresses, SMTP or Slack answers, error messages.
 */

export const DATABASE_SPAN_NAME = 'write database';
export function sendSpanName(destinationId: string): string {
  return `send ${destinationId}`;
}

type Outcome = { outcome: string; error?: string; attributes?: Record<string, number | string | boolean> };

function failureOf(error: unknown): Outcome {
  if (error instanceof SinkError) {
    if (error.retryAfterMs !== undefined) return { outcome: 'rate_limited', error: 'rate limited', attributes: { 'hookline.retry_after_ms': error.retryAfterMs } };
    return error.retryable ? { outcome: 'failed', error: 'failed, will be retried' } : { outcome: 'refused', error: 'refused for good' };
  }
  return { outcome: 'failed', error: 'failed' };
}

function settle(span: Span, outcome: Outcome, error?: unknown): void {
  span.setAttribute('hookline.outcome', outcome.outcome);
  if (outcome.attributes) span.setAttributes(outcome.attributes);
  if (error !== undefined) {
    span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
    span.setStatus({ code: SpanStatusCode.ERROR, ...(outcome.error ? { message: outcome.error } : {}) });
  }
  span.end();
}

/**
 * The database write of one event (`in_place` by the normalizing worker, `queue` by the database's
 * fallback queue). Writes are batched across concurrent jobs: the span is this event's wait for
 * its batch's transaction.
 */
export async function traceDatabaseWrite<T>(event: NormalizedEvent, via: 'in_place' | 'queue', write: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return write();
  const span = tracer().startSpan(DATABASE_SPAN_NAME, {
    kind: SpanKind.CLIENT,
    attributes: { 'hookline.sink': 'database', 'hookline.database.via': via, 'hookline.provider': event.provider, 'hookline.event.key': event.id },
  });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), write);
    settle(span, { outcome: 'delivered' });
    return result;
  } catch (error) {
    settle(span, failureOf(error), error);
    throw error;
  }
}

/**
 * A destination's digest collector whose sends are traced. Each alert handed to it remembers the
 * context it came in (its delivery job's `process deliver-<id>` span). A message of one alert is a
 * child of that span; a digest belongs to no single event: it starts a trace of its own, with a
 * span link to each of its alerts' job spans, and each of those spans gets a `digest send` event
 * naming the digest's trace. A 429 is a `rate_limited` send with its Retry-After, then the next
 * send of the same alerts; a failed send fails the job, whose retry is another `process` span of
 * the same trace.
 */
export function tracedCollector(sink: AlertSink, create: (sink: AlertSink) => DigestCollector): DigestCollector {
  if (!tracingEnabled()) return create(sink);
  const contexts = new WeakMap<AlertItem, Context>();
  const traced: AlertSink = {
    id: sink.id,
    kind: sink.kind,
    policy: sink.policy,
    accepts: (item) => sink.accepts(item),
    capacity: (items) => sink.capacity(items),
    close: () => sink.close(),
    send: (items, signal) => sendTraced(sink, items, signal, contexts),
  };
  const collector = create(traced);
  return {
    deliver(item) {
      contexts.set(item, context.active());
      return collector.deliver(item);
    },
    get waiting() {
      return collector.waiting;
    },
    close: () => collector.close(),
  };
}

async function sendTraced(sink: AlertSink, items: readonly AlertItem[], signal: AbortSignal, contexts: WeakMap<AlertItem, Context>): Promise<void> {
  const digest = items.length > 1;
  const first = items[0];
  const parent = !digest && first ? (contexts.get(first) ?? ROOT_CONTEXT) : ROOT_CONTEXT;
  const links: Link[] = [];
  const jobSpans: Span[] = [];
  if (digest) {
    for (const item of items) {
      const ctx = contexts.get(item);
      const spanContext = ctx ? trace.getSpanContext(ctx) : undefined;
      if (!ctx || !spanContext) continue;
      links.push({ context: spanContext, attributes: { 'hookline.event.key': alertKey(item) } });
      const jobSpan = trace.getSpan(ctx);
      if (jobSpan) jobSpans.push(jobSpan);
    }
  }
  const span = tracer().startSpan(
    sendSpanName(sink.id),
    {
      kind: SpanKind.CLIENT,
      links,
      attributes: {
        'hookline.destination.id': sink.id,
        'hookline.destination.kind': sink.kind,
        'hookline.alert.count': items.length,
        'hookline.alert.form': digest ? 'digest' : 'single',
        ...(!digest && first ? { 'hookline.event.key': alertKey(first) } : {}),
      },
    },
    parent,
  );
  const sent = span.spanContext();
  const tell = (outcome: string) => {
    for (const jobSpan of jobSpans) {
      jobSpan.addEvent('digest send', { 'hookline.digest.trace_id': sent.traceId, 'hookline.digest.span_id': sent.spanId, 'hookline.alert.count': items.length, 'hookline.outcome': outcome });
    }
  };
  try {
    await context.with(trace.setSpan(parent, span), () => sink.send(items, signal));
  } catch (error) {
    const failure = failureOf(error);
    tell(failure.outcome);
    settle(span, failure, error);
    throw error;
  }
  tell('delivered');
  settle(span, { outcome: 'delivered' });
}
