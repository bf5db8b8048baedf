import type { RequestListener, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { EventStore, StoreOutcome } from '../ingress/event-store.ts';
import { isProviderId } from '../providers/registry.ts';
import { INGEST_QUEUE, type RawEvent } from '../queue/contract.ts';
import { setEnqueueContext } from './queue-tracing.ts';
import { tracer, tracingEnabled } from './tracing.ts';

/*
 * The ingress' spans: one SERVER span per POST /webhooks/:provider, and under it one PRODUCER span
 * per event stored ("enqueue ingest"), whose context its ingest job carries to the worker.
 *
 * Recorded: the method, the route, the provider (a known id, else `unknown`), the status answered,
 * the outcome (accepted, duplicate, connection_test, or the error code answered: unauthorized,
 * invalid_json…) and, once the request is authenticated, the event key. Never recorded: headers,
 * the query string (PersonaClick's token travels there), bodies, signatures, remote addresses.
 * A traceparent sent by a caller is ignored: every request starts a trace of its own.
 */

const WEBHOOK_PATH = /^\/webhooks\/([^/?#]+)\/?$/;
export const REQUEST_SPAN_NAME = 'POST /webhooks/:provider';
export const ENQUEUE_SPAN_NAME = `enqueue ${INGEST_QUEUE}`;

type Locals = { outcome?: unknown; eventKey?: unknown };

/** Wraps the ingress' request listener; returns it unchanged when tracing is off. */
export function traceWebhookRequests(listener: RequestListener): RequestListener {
  if (!tracingEnabled()) return listener;
  return (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const match = req.method === 'POST' ? WEBHOOK_PATH.exec(path) : null;
    if (!match) {
      listener(req, res);
      return;
    }
    const segment = match[1] ?? '';
    const provider = isProviderId(segment) ? segment : 'unknown';
    const span = tracer().startSpan(
      REQUEST_SPAN_NAME,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': 'POST',
          'http.route': '/webhooks/:provider',
          ...(provider === 'unknown' ? {} : { 'url.path': `/webhooks/${provider}` }),
          'hookline.provider': provider,
        },
      },
      ROOT_CONTEXT,
    );
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    let ended = false;
    const end = (finished: boolean) => {
      if (ended) return;
      ended = true;
      const locals = ((res as ServerResponse & { locals?: Locals }).locals ?? {}) as Locals;
      if (typeof locals.eventKey === 'string') span.setAttribute('hookline.event.key', locals.eventKey);
      const outcome = typeof locals.outcome === 'string' ? locals.outcome : finished ? undefined : 'request_aborted';
      if (outcome) span.setAttribute('hookline.outcome', outcome);
      if (finished) span.setAttribute('http.response.status_code', res.statusCode);
      if (!finished || res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, ...(outcome ? { message: outcome } : {}) });
      span.end();
    };
    res.once('finish', () => end(true));
    res.once('close', () => end(res.writableFinished));
    // The body arrives in stream callbacks: bound, so that the handlers run in the request's context.
    context.bind(ctx, req);
    context.bind(ctx, res);
    context.with(ctx, () => listener(req, res));
  };
}

/**
 * Wraps the ingress' event store: a span per event stored, child of the request's, its context
 * remembered for the ingest job (src/tracing/queue-tracing.ts). Unchanged when tracing is off.
 */
export function traceEventStore(store: EventStore): EventStore {
  if (!tracingEnabled()) return store;
  return {
    store(event: RawEvent): Promise<StoreOutcome> {
      const parent = context.active();
      const span = tracer().startSpan(
        ENQUEUE_SPAN_NAME,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'bullmq',
            'messaging.operation.type': 'send',
            'messaging.destination.name': INGEST_QUEUE,
            'hookline.provider': event.provider,
            'hookline.event.key': event.key,
          },
        },
        parent,
      );
      const ctx = trace.setSpan(parent, span);
      setEnqueueContext(event, ctx);
      return context.with(ctx, () => store.store(event)).then(
        (outcome) => {
          span.setAttribute('hookline.outcome', outcome);
          span.end();
          return outcome;
        },
        (error: unknown) => {
          span.setAttribute('hookline.outcome', 'unavailable');
          span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'the event could not be stored' });
          span.end();
          throw error;
        },
      );
    },
    close: () => store.close(),
  };
}
