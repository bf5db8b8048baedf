import { ERROR_CODES, type ErrorCode } from './errors.ts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Why a webhook request stored nothing: the error codes of the HTTP answers (one list, so an answer's
 * code is always a known label), and `other` for an answer given without one. A fixed set: label
 * values must stay bounded.
 */
export const REJECTION_REASONS = [...ERROR_CODES, 'other'] as const;
export type RejectionReason = ErrorCode | 'other';

/** BullMQ job states reported per queue by hookline_queue_jobs. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Each readiness check's result, as /readyz computes it; set by the process' HTTP app. */
export type ReadinessSource = () => Promise<{ results: readonly { name: string; fine: boolean }[] }>;

export type QueueDepth = { queue: string; state: QueueState; jobs: number };
/** Reads the current job counts; set by whichever part of the process holds a Redis connection. */
export type QueueDepthSource = () => Promise<readonly QueueDepth[]>;

/** One registry per process role; tests create their own so instances never collide. */
export function createMetrics(options: { defaultMetrics: boolean } = { defaultMetrics: true }) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'hookline_' });

  let queueDepthSource: QueueDepthSource | undefined;
  let readinessSource: ReadinessSource | undefined;

  return {
    registry,
    webhookRequests: new Counter({
      name: 'hookline_webhook_requests_total',
      help: 'Webhook requests by provider (unknown for any other path) and HTTP status answered',
      labelNames: ['provider', 'status'] as const,
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: 'hookline_webhook_events_total',
      help: 'Authenticated webhook events by provider and outcome (accepted, duplicate, connection_test)',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
    webhookRejections: new Counter({
      name: 'hookline_webhook_rejections_total',
      help: `Webhook requests that stored nothing, by provider and reason (${REJECTION_REASONS.join(', ')})`,
      labelNames: ['provider', 'reason'] as const,
      registers: [registry],
    }),
    enqueueSeconds: new Histogram({
      name: 'hookline_enqueue_duration_seconds',
      help: 'Time to store an event durably in the queue',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'hookline_queue_jobs',
      help: `Jobs per BullMQ queue and state (${QUEUE_STATES.join(', ')}); every process with a Redis connection reports the same figures`,
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        if (!queueDepthSource) return;
        let depths: readonly QueueDepth[];
        try {
          depths = await queueDepthSource();
        } catch {
          // Redis is away: report nothing rather than stale figures.
          this.reset();
          return;
        }
        this.reset();
        for (const { queue, state, jobs } of depths) this.labels(queue, state).set(jobs);
      },
    }),
    /** Installs what hookline_queue_jobs reads at each scrape; the returned function removes it again. */
    useQueueDepthSource(source: QueueDepthSource): () => void {
      queueDepthSource = source;
      return () => {
        if (queueDepthSource === source) queueDepthSource = undefined;
      };
    },
    normalized: new Counter({
      name: 'hookline_events_normalized_total',
      help: 'Ingested events by provider and outcome (normalized or unnormalizable)',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'hookline_deliveries_total',
      help: 'Sink delivery attempts by sink and outcome (delivered, already_delivered, failed_attempt, rate_limited, dead_letter)',
      labelNames: ['sink', 'outcome'] as const,
      registers: [registry],
    }),
    deliveredLatency: new Histogram({
      name: 'hookline_received_to_delivered_seconds',
      help: 'Time from the ingress accepting an event to a sink delivering it',
      labelNames: ['sink'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
    alertMessages: new Counter({
      name: 'hookline_alert_messages_total',
      help: 'Slack and email messages sent, by destination and form (single: one alert; digest: several combined under the pace)',
      labelNames: ['destination', 'form'] as const,
      registers: [registry],
    }),
    alertDigestSize: new Histogram({
      name: 'hookline_alert_digest_items',
      help: 'Alerts per message sent, by destination',
      labelNames: ['destination'] as const,
      buckets: [1, 2, 5, 10, 20, 50],
      registers: [registry],
    }),
    incidents: new Counter({
      name: 'hookline_incidents_total',
      help: 'Incident transitions by kind (failing, stuck) and change (opened, resolved)',
      labelNames: ['kind', 'change'] as const,
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'hookline_ready',
      help: 'Per readiness check of this process (redis, database): 1 when it passes or a stand-in holds (the spool), 0 when it fails; /readyz answers 503 while any is 0',
      labelNames: ['check'] as const,
      registers: [registry],
      async collect() {
        if (!readinessSource) return;
        const { results } = await readinessSource();
        this.reset();
        for (const { name, fine } of results) this.labels(name).set(fine ? 1 : 0);
      },
    }),
    /** Installs what hookline_ready evaluates at each scrape. */
    useReadinessSource(source: ReadinessSource): void {
      readinessSource = source;
    },
    spoolEvents: new Gauge({
      name: 'hookline_spool_events',
      help: 'Events held in the ingress spool (accepted while Redis was unreachable) and not yet moved to the queue',
      registers: [registry],
    }),
    spoolBytes: new Gauge({
      name: 'hookline_spool_bytes',
      help: 'Bytes the ingress spool holds on disk; new events are answered 503 once the next would pass hookline_spool_max_bytes',
      registers: [registry],
    }),
    spoolMaxBytes: new Gauge({
      name: 'hookline_spool_max_bytes',
      help: 'The spool\'s room (SPOOL_MAX_BYTES)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
