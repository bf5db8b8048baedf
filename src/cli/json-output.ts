import type { DeliveryView, EventPageData, IngestView, RawBody } from '../admin/event-data.ts';
import type { JobRun, StoredEvent } from '../db/queries.ts';
import type { DeadLetter } from '../replay/dead-letters.ts';
import type { ReplayOutcome } from '../replay/replay.ts';

/*
 * What --json prints. Scripts read these, so every field is copied by name (a field added to a
 * row type elsewhere does not leak into the output) and is always present: null where there is no
 * value. README.md (CLI, "--json") documents them; change both together.
 */

export type EventJson = {
  id: string;
  provider: string;
  type: string;
  category: string;
  status: string;
  subjectId: string;
  subjectName: string | null;
  parentId: string | null;
  parentName: string | null;
  occurredAt: string;
  receivedAt: string;
  summary: string;
};

export type RunJson = {
  provider: string;
  subjectId: string;
  subjectName: string | null;
  parentId: string | null;
  parentName: string | null;
  category: string;
  type: string;
  status: string;
  occurredAt: string;
  eventId: string;
  summary: string;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: string;
};

export type DeadLetterJson = {
  kind: 'delivery' | 'ingest';
  queue: string;
  sink: string | null;
  jobId: string;
  eventKey: string;
  provider: string | null;
  status: string | null;
  summary: string | null;
  error: string;
  attemptsMade: number;
  failedAt: string;
  receivedAt: string | null;
};

export type ReplayJson = {
  dryRun: boolean;
  replayed: DeadLetterJson[];
  skipped: Array<{ letter: DeadLetterJson; reason: string }>;
};

export type DeliveryJson = {
  destination: string;
  queue: string;
  jobId: string | null;
  state: string;
  attemptsMade: number | null;
  finishedAt: string | null;
  error: string | null;
  delivered: boolean | null;
};

export type IngestJson = {
  jobId: string;
  state: string;
  attemptsMade: number;
  finishedAt: string | null;
  routedTo: string[] | null;
  writtenInPlace: boolean;
};

export type RawBodyJson = { source: RawBody['source']; json: boolean; text: string };

export type ShowJson = EventJson & {
  storedAt: string;
  /** The normalized event as stored. */
  event: Record<string, unknown>;
  alert: Record<string, unknown> | null;
  run: RunJson | null;
  ingest: IngestJson | null;
  /** Null when they could not be looked up (the ingest job is gone, or Redis did not answer). */
  deliveries: DeliveryJson[] | null;
  deadLetters: DeadLetterJson[];
  rawBody: RawBodyJson | null;
  /** What could not be read; the rest is still there. */
  problems: string[];
};

export function eventJson(e: StoredEvent): EventJson {
  return {
    id: e.id,
    provider: e.provider,
    type: e.type,
    category: e.category,
    status: e.status,
    subjectId: e.subjectId,
    subjectName: e.subjectName ?? null,
    parentId: e.parentId ?? null,
    parentName: e.parentName ?? null,
    occurredAt: e.occurredAt,
    receivedAt: e.receivedAt,
    summary: e.summary,
  };
}

export function runJson(r: JobRun): RunJson {
  return {
    provider: r.provider,
    subjectId: r.subjectId,
    subjectName: r.subjectName ?? null,
    parentId: r.parentId ?? null,
    parentName: r.parentName ?? null,
    category: r.category,
    type: r.type,
    status: r.status,
    occurredAt: r.occurredAt,
    eventId: r.eventId,
    summary: r.summary,
    errorCode: r.errorCode ?? null,
    errorMessage: r.errorMessage ?? null,
    updatedAt: r.updatedAt,
  };
}

export function deadLetterJson(l: DeadLetter): DeadLetterJson {
  return {
    kind: l.kind,
    queue: l.queue,
    sink: l.sink ?? null,
    jobId: l.jobId,
    eventKey: l.eventKey,
    provider: l.provider ?? null,
    status: l.status ?? null,
    summary: l.summary ?? null,
    error: l.error,
    attemptsMade: l.attemptsMade,
    failedAt: l.failedAt,
    receivedAt: l.receivedAt ?? null,
  };
}

export function replayJson(outcome: ReplayOutcome): ReplayJson {
  return {
    dryRun: outcome.dryRun,
    replayed: outcome.replayed.map(deadLetterJson),
    skipped: outcome.skipped.map(({ letter, reason }) => ({ letter: deadLetterJson(letter), reason })),
  };
}

function deliveryJson(d: DeliveryView): DeliveryJson {
  return {
    destination: d.destination,
    queue: d.queue,
    jobId: d.jobId ?? null,
    state: d.state,
    attemptsMade: d.attemptsMade ?? null,
    finishedAt: d.finishedAt ?? null,
    error: d.error ?? null,
    delivered: d.delivered ?? null,
  };
}

function ingestJson(i: IngestView): IngestJson {
  return {
    jobId: i.jobId,
    state: i.state,
    attemptsMade: i.attemptsMade,
    finishedAt: i.finishedAt ?? null,
    routedTo: i.routedTo ?? null,
    writtenInPlace: i.writtenInPlace,
  };
}

export function showJson(data: EventPageData): ShowJson {
  const { event } = data;
  return {
    ...eventJson(event),
    storedAt: event.storedAt,
    event: event.event,
    alert: event.alert ? { ...event.alert } : null,
    run: data.run ? runJson(data.run) : null,
    ingest: data.ingest ? ingestJson(data.ingest) : null,
    deliveries: data.deliveries ? data.deliveries.map(deliveryJson) : null,
    deadLetters: data.deadLetters.map(deadLetterJson),
    rawBody: data.rawBody ? { source: data.rawBody.source, json: data.rawBody.json, text: data.rawBody.text } : null,
    problems: [...data.problems],
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
