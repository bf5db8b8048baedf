import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process role; tests create their own so instances never collide. */
export function createMetrics(options: { defaultMetrics: boolean } = { defaultMetrics: true }) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'hookline_' });

  return {
    registry,
    webhookRequests: new Counter({
      name: 'hookline_webhook_requests_total',
      help: 'Webhook requests by provider and outcome (accepted, duplicate, connection_test, or the error code)',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
    enqueueSeconds: new Histogram({
      name: 'hookline_enqueue_duration_seconds',
      help: 'Time to store an event durably in the queue',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'hookline_deliveries_total',
      help: 'Sink deliveries by sink and outcome (delivered, skipped, retry, rate_limited, dead_letter, already_delivered)',
      labelNames: ['sink', 'outcome'] as const,
      registers: [registry],
    }),
    normalized: new Counter({
      name: 'hookline_events_normalized_total',
      help: 'Ingested events by provider and outcome (normalized or unnormalizable)',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
    deliveredLatency: new Histogram({
      name: 'hookline_received_to_delivered_seconds',
      help: 'Time from the ingress accepting an event to a sink delivering it',
      labelNames: ['sink'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
