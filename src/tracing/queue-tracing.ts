import { ROOT_CONTEXT, context, propagation, trace, type Context } from '@opentelemetry/api';
import type { BullMQOtel } from 'bullmq-otel';
import type { RawEvent } from '../queue/contract.ts';
import { TRACER_NAME, bullmqTelemetryClass, tracingEnabled } from './tracing.ts';

/*
 * How a trace crosses the queue. BullMQ (with bullmq-otel as its `telemetry` option) stores a W3C
 * trace context in each job's options (`opts.telemetry.metadata`, the JSON of a traceparent carrier)
 * and starts each `process <queue>` consumer span as its child, in whichever process runs the job.
 *
 * Its producer spans are per call, though, and hookline adds jobs in batches: one pipelined addBulk
 * for the requests of a tick (src/ingress/event-store.ts), one FlowProducer.addBulk for the
 * fan-outs of concurrent normalize jobs (src/workers/normalize-worker.ts). Left alone, every job of
 * a batch would carry the context of whichever request opened the batch, so the events after the
 * first would continue someone else's trace. So each job is given its own event's context here,
 * which BullMQ keeps (a job's own metadata wins over the batch's), and the batch call itself runs
 * in the context of its first job: BullMQ's `addBulk` span lands in that event's trace.
 */

type JobTelemetry = { metadata?: string; omitContext?: boolean };
type WithOpts = { opts?: { telemetry?: JobTelemetry } | undefined };

/**
 * `{ telemetry }` for a Queue, Worker or FlowProducer when tracing is on, else nothing: with tracing
 * off BullMQ takes its untraced path and jobs carry no context at all.
 */
export function queueTelemetry(): { telemetry?: BullMQOtel } {
  const Telemetry = bullmqTelemetryClass();
  return Telemetry ? { telemetry: new Telemetry({ tracerName: TRACER_NAME }) } : {};
}

/** The W3C carrier of a context as BullMQ stores it, or undefined when it has no (sampled) span. */
export function jobMetadataOf(ctx: Context): string | undefined {
  if (!trace.getSpanContext(ctx)) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ? JSON.stringify(carrier) : undefined;
}

/** The context a job's metadata names (a remote parent), or undefined. */
export function contextOfJobMetadata(metadata: string | undefined, base: Context = ROOT_CONTEXT): Context | undefined {
  if (!metadata) return undefined;
  try {
    const carrier = JSON.parse(metadata) as Record<string, string>;
    const ctx = propagation.extract(base, carrier);
    return trace.getSpanContext(ctx) ? ctx : undefined;
  } catch {
    return undefined;
  }
}

function telemetryFor(ctx: Context | undefined): JobTelemetry {
  const metadata = ctx ? jobMetadataOf(ctx) : undefined;
  // No context of its own: carry none, rather than the batch's (someone else's trace).
  return metadata ? { metadata } : { omitContext: true };
}

/**
 * Each job with the trace context of `ctx` (by default the active one: the job being processed).
 * For jobs that go out in a batch with other events' jobs.
 */
export function withTraceContext<T extends WithOpts>(jobs: T[], ctx: Context = context.active()): T[] {
  if (!tracingEnabled()) return jobs;
  const telemetry = telemetryFor(ctx);
  return jobs.map((job) => ({ ...job, opts: { ...job.opts, telemetry } }));
}

/** Runs a batch add in the context its first job carries (none: a trace of its own). */
export function inContextOfFirstJob<T extends WithOpts, R>(jobs: T[], add: (jobs: T[]) => R): R {
  if (!tracingEnabled()) return add(jobs);
  const parent = contextOfJobMetadata(jobs[0]?.opts?.telemetry?.metadata) ?? ROOT_CONTEXT;
  return context.with(parent, () => add(jobs));
}

/**
 * The enqueue span of each event the ingress stores, set by the traced event store
 * (src/tracing/ingress-tracing.ts) and read where its ingest job is built. Keyed by the RawEvent
 * object itself: an event re-submitted from the spool is a new object and starts a trace of its own.
 */
const enqueueContexts = new WeakMap<RawEvent, Context>();

export function setEnqueueContext(event: RawEvent, ctx: Context): void {
  enqueueContexts.set(event, ctx);
}

/** `{ telemetry }` for an ingest job's options: its own request's enqueue span (nothing when off). */
export function ingestJobTelemetry(event: RawEvent): { telemetry?: JobTelemetry } {
  if (!tracingEnabled()) return {};
  return { telemetry: telemetryFor(enqueueContexts.get(event)) };
}
