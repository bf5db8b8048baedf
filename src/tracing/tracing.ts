import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { NodeTracerProvider, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { BullMQOtel } from 'bullmq-otel';

/*
 * OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
 * is set. When off nothing is registered: the API hands out its no-op tracer, and every helper in
 * src/tracing returns at once (no spans, no context in the jobs, no telemetry option on the queues).
 * The SDK, the exporter and bullmq-otel are imported only when tracing is turned on: a process
 * without tracing never loads them.
 */

export type TracingRole = 'all' | 'ingress' | 'worker';

export type Tracing = {
  enabled: boolean;
  /** Where spans go (the traces URL), for the start-up log; undefined when off or in tests. */
  endpoint?: string;
  /** Flushes the spans still buffered and unregisters the provider. Idempotent. */
  shutdown(): Promise<void>;
};

/** The instrumentation scope of every hookline span (ours and BullMQ's). */
export const TRACER_NAME = 'hookline';
export const DEFAULT_SERVICE_NAME = 'hookline';

let registered: NodeTracerProvider | undefined;
let bullmqOtel: typeof BullMQOtel | undefined;

/** BullMQ's telemetry class, loaded with the SDK; undefined while tracing is off. */
export function bullmqTelemetryClass(): typeof BullMQOtel | undefined {
  return registered ? bullmqOtel : undefined;
}

/** Whether a tracer provider of ours is registered (OTLP, or a test's exporter). */
export function tracingEnabled(): boolean {
  return registered !== undefined;
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

const OFF: Tracing = Object.freeze({ enabled: false, shutdown: async () => undefined });

/**
 * The OTLP/HTTP traces URL the environment asks for, or undefined when tracing stays off:
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`
 * (as the OTLP exporter spec says); OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off.
 */
export function otlpTracesUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = traces || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`OTEL_EXPORTER_OTLP_${traces ? 'TRACES_' : ''}ENDPOINT is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`OTEL_EXPORTER_OTLP_${traces ? 'TRACES_' : ''}ENDPOINT must be an http:// or https:// URL`);
  }
  return url;
}

/** The URL without credentials, query or path beyond the host: what the start-up log may show. */
export function loggableEndpoint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * Called once at process start (src/main.ts), before any queue or worker exists: BullMQ gets its
 * telemetry option only when tracing is on. OTLP/HTTP with JSON bodies, batched
 * (OTEL_BSP_* tune the batches); OTEL_EXPORTER_OTLP_HEADERS and _TIMEOUT are read by the exporter.
 */
export async function initTracing(options: { role: TracingRole; env?: Readonly<Record<string, string | undefined>> }): Promise<Tracing> {
  const env = options.env ?? process.env;
  const url = otlpTracesUrl(env);
  if (!url) return OFF;
  const [{ OTLPTraceExporter }, { BatchSpanProcessor }] = await Promise.all([import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/sdk-trace-node')]);
  const tracing = await register(options.role, [new BatchSpanProcessor(new OTLPTraceExporter({ url }))], env.OTEL_SERVICE_NAME);
  return { ...tracing, endpoint: loggableEndpoint(url) };
}

/**
 * The tests' hook: registers a provider exporting to `exporter` (an InMemorySpanExporter) with a
 * simple processor, so a span is there as soon as it ends. Call it before starting the ingress or
 * workers; `shutdown()` unregisters it again.
 */
export async function registerTracingForTests(exporter: SpanExporter, options: { role?: TracingRole; serviceName?: string } = {}): Promise<Tracing> {
  const { SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
  return register(options.role ?? 'all', [new SimpleSpanProcessor(exporter)], options.serviceName);
}

async function register(role: TracingRole, spanProcessors: SpanProcessor[], serviceName: string | undefined): Promise<Tracing> {
  if (registered) throw new Error('tracing is already registered in this process');
  const [{ NodeTracerProvider }, { defaultResource, detectResources, envDetector, resourceFromAttributes }, { BullMQOtel }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('bullmq-otel'),
  ]);
  // Again: another call may have registered while the SDK was being imported.
  if (registered) throw new Error('tracing is already registered in this process');
  bullmqOtel = BullMQOtel;
  // OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME) are honoured; the role is always ours.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': DEFAULT_SERVICE_NAME }))
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ ...(serviceName?.trim() ? { 'service.name': serviceName.trim() } : {}), 'hookline.role': role, 'process.pid': process.pid }));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  // The default context manager (AsyncLocalStorage) and the W3C trace-context + baggage propagator.
  provider.register();
  registered = provider;
  let shut: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      shut ??= (async () => {
        try {
          await provider.shutdown();
        } finally {
          if (registered === provider) {
            registered = undefined;
            trace.disable();
            context.disable();
            propagation.disable();
          }
        }
      })();
      return shut;
    },
  };
}
