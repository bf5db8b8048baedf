import type { Job } from 'bullmq';
import type { AlertNotes } from '../alerts/alert-item.ts';
import type { Queryable } from '../db/db.ts';
import { listIncidents, type Incident } from '../db/incidents.ts';
import { jobRun, type JobRun, type StoredEvent } from '../db/queries.ts';
import { dedupIdOf } from '../ingress/event-store.ts';
import type { EventCategory, EventStatus } from '../normalizers/normalized-event.ts';
import { displayText } from '../queue/raw-body.ts';
import { findDeadLetters, type DeadLetter } from '../replay/dead-letters.ts';
import type { OpenReplayQueues } from '../replay/replay-queues.ts';
import { withDeadline } from '../shared/deadline.ts';
import type { ProviderId } from '../providers/registry.ts';
import { DeliveryRecords } from '../workers/delivery-records.ts';

/** The stored row of one event: the columns of the status page, plus what only this page shows. */
export type EventRecord = StoredEvent & {
  /** The normalized event as stored (jsonb), read defensively: rows outlive code. */
  event: Record<string, unknown>;
  alert: AlertNotes | null;
  storedAt: string;
};

export type RawBody = {
  text: string;
  /** Whether `text` parses as JSON (then shown re-indented, every token kept as sent). */
  json: boolean;
  /**
   * The ingest job and the stored bytes (webhook_events.raw_bytes) hold the body as received; the
   * database's jsonb copy (rows older than raw_bytes) has its keys reordered.
   */
  source: 'ingest job' | 'stored bytes' | 'database';
};

export type IngestView = {
  jobId: string;
  state: string;
  attemptsMade: number;
  finishedAt: string | undefined;
  /** The destinations the normalize worker gave a job (its return value), when it finished. */
  routedTo: string[] | undefined;
  writtenInPlace: boolean;
};

/** One destination's delivery of this event. */
export type DeliveryView = {
  destination: string;
  queue: string;
  /** `<ingest job id>-<destination>`, when the ingest job id is known. */
  jobId: string | undefined;
  /** The job's BullMQ state (`completed`, `failed`, `delayed`…), or `none` when there is no such job. */
  state: string;
  attemptsMade: number | undefined;
  finishedAt: string | undefined;
  error: string | undefined;
  /** Slack and email keep a record of what they posted; undefined where no record is kept (the database). */
  delivered: boolean | undefined;
};

export type EventPageData = {
  event: EventRecord;
  /** The run's job_runs row: its latest status and event. */
  run: JobRun | undefined;
  /** The run's events by occurred_at (the latest RUN_EVENTS_LIMIT of them). */
  runEvents: StoredEvent[];
  runEventsTruncated: boolean;
  /** The series: the parent when there is one, else the subject. */
  seriesId: string;
  incidents: Incident[];
  rawBody: RawBody | undefined;
  /** Undefined when the ingest job is gone (older than the deduplication window) or unreadable. */
  ingest: IngestView | undefined;
  /** Undefined when the deliveries could not be looked up (no ingest job id known, or Redis down). */
  deliveries: DeliveryView[] | undefined;
  deadLetters: DeadLetter[];
  /** What could not be read: the page shows the rest. */
  problems: string[];
};

const READ_TIMEOUT_MS = 3_000;
export const RUN_EVENTS_LIMIT = 200;
const INCIDENTS_LIMIT = 50;
const DEAD_LETTERS_LIMIT = 100;
/** Destinations that record their deliveries (src/workers/delivery-records.ts); the database dedups by key itself. */
const UNRECORDED = new Set(['database']);

const EVENT_COLUMNS = `id, provider, type, category, status, subject_id, subject_name, parent_id, parent_name,
  occurred_at, received_at, summary`;

/**
 * Everything the event page shows, or undefined when no event has this key. The row is read
 * first (its absence is the 404); the rest is read in parallel and each part fails on its own.
 */
export async function readEventPage(
  db: Queryable,
  queues: OpenReplayQueues,
  queuePrefix: string,
  key: string,
): Promise<EventPageData | undefined> {
  const found = await bounded(readEvent(db, key));
  if (!found) return undefined;
  const { event, rawFromDb } = found;
  const seriesId = event.parentId ?? event.subjectId;

  const [run, runEvents, incidents, letters, ingestJob] = await Promise.allSettled([
    bounded(jobRun(db, event.provider, event.subjectId)),
    bounded(readRunEvents(db, event.provider, event.subjectId)),
    bounded(listIncidents(db, { provider: event.provider, seriesId, limit: INCIDENTS_LIMIT })),
    bounded(findDeadLetters(queues, { key, limit: DEAD_LETTERS_LIMIT })),
    bounded(readIngestJob(queues, key)),
  ]);
  const problems: string[] = [];
  const value = <T>(result: PromiseSettledResult<T>, fallback: T, what: string): T => {
    if (result.status === 'fulfilled') return result.value;
    problems.push(`${what}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
    return fallback;
  };
  const deadLetters = value(letters, [], 'dead letters (Redis)');
  const ingest = value(ingestJob, undefined, 'the ingest job (Redis)');
  const job = ingest?.job;
  const ingestJobId = job?.id ?? ingestJobIdOf(deadLetters);

  let deliveries: DeliveryView[] | undefined;
  if (ingestJobId !== undefined) {
    try {
      deliveries = await bounded(readDeliveries(queues, queuePrefix, key, ingestJobId));
    } catch (error) {
      problems.push(`deliveries (Redis): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const events = value(runEvents, { events: [], truncated: false }, "the run's events (database)");
  const sentBody: unknown = job ? record(job.data).body : undefined;
  // Bytes that were not UTF-8 travel escaped in the job (src/normalizers/raw-event.ts): shown as U+FFFD.
  const jobBody = typeof sentBody === 'string' ? displayText(sentBody) : undefined;
  return {
    event,
    run: value(run, undefined, 'the run (database)'),
    runEvents: events.events,
    runEventsTruncated: events.truncated,
    seriesId,
    incidents: value(incidents, [], 'incidents (database)'),
    rawBody: jobBody !== undefined ? rawBody(jobBody, 'ingest job') : rawFromDb,
    ingest: ingest?.view,
    deliveries,
    deadLetters: deadLetters.map(({ job: _job, ...letter }) => letter),
    problems,
  };
}

type EventRow = {
  id: string;
  provider: ProviderId;
  type: string;
  category: EventCategory;
  status: EventStatus;
  subject_id: string;
  subject_name: string | null;
  parent_id: string | null;
  parent_name: string | null;
  occurred_at: Date;
  received_at: Date;
  summary: string;
};

async function readEvent(db: Queryable, key: string): Promise<{ event: EventRecord; rawFromDb: RawBody | undefined } | undefined> {
  // A body that was not JSON is stored as one jsonb string: `#>> '{}'` gives its text back.
  const { rows } = await db.query<
    EventRow & { event: unknown; alert: unknown; stored_at: Date; raw_is_text: boolean; raw_text: string | null; raw_bytes: Uint8Array | null }
  >(
    `select ${EVENT_COLUMNS}, event, alert, stored_at, raw_bytes,
            jsonb_typeof(raw) = 'string' as raw_is_text,
            case when jsonb_typeof(raw) = 'string' then raw #>> '{}' else raw::text end as raw_text
     from webhook_events where id = $1`,
    [key],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    event: {
      ...storedEvent(row),
      event: record(row.event),
      alert: isRecord(row.alert) ? (row.alert as AlertNotes) : null,
      storedAt: iso(row.stored_at),
    },
    rawFromDb:
      // The exact bytes when the row has them (migration 3); else the jsonb copy, whose keys are reordered.
      row.raw_bytes !== null
        ? rawBody(Buffer.from(row.raw_bytes).toString('utf8'), 'stored bytes')
        : row.raw_text === null
          ? undefined
          : row.raw_is_text
            ? rawBody(row.raw_text, 'database')
            : { text: prettyJson(row.raw_text), json: true, source: 'database' },
  };
}

/** The latest events of the run (the subject index serves it), returned oldest first. */
async function readRunEvents(db: Queryable, provider: ProviderId, subjectId: string): Promise<{ events: StoredEvent[]; truncated: boolean }> {
  const { rows } = await db.query<EventRow>(
    `select ${EVENT_COLUMNS} from webhook_events
     where provider = $1 and subject_id = $2
     order by occurred_at desc, received_at desc, id desc
     limit $3`,
    [provider, subjectId, RUN_EVENTS_LIMIT + 1],
  );
  return { events: rows.slice(0, RUN_EVENTS_LIMIT).reverse().map(storedEvent), truncated: rows.length > RUN_EVENTS_LIMIT };
}

/**
 * The ingress gives each ingest job a fresh id and the event key's deduplication id; BullMQ keeps
 * that id → job id for the deduplication window (src/ingress/event-store.ts).
 */
async function readIngestJob(queues: OpenReplayQueues, key: string): Promise<{ job: Job; view: IngestView } | undefined> {
  const jobId = await queues.ingest.getDeduplicationJobId(dedupIdOf(key));
  if (!jobId) return undefined;
  const job = await queues.ingest.getJob(jobId);
  // The job must be this event's: a deduplication id names its key only through a hash.
  if (!job || record(job.data).key !== key) return undefined;
  const result = record(job.returnvalue);
  const sinks = Array.isArray(result.sinks) ? result.sinks.filter((sink): sink is string => typeof sink === 'string') : undefined;
  return {
    job,
    view: {
      jobId: job.id ?? jobId,
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
      finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
      routedTo: sinks,
      writtenInPlace: result.writtenInPlace === 'database',
    },
  };
}

/** A delivery dead letter of this event names its ingest job (stuck-run alerts have none). */
function ingestJobIdOf(letters: ReadonlyArray<DeadLetter & { job: Job }>): string | undefined {
  for (const letter of letters) {
    if (letter.kind !== 'delivery') continue;
    const data = record(letter.job.data);
    if (record(data.item).kind === 'stuck') continue;
    if (typeof data.ingestJobId === 'string' && data.ingestJobId) return data.ingestJobId;
  }
  return undefined;
}

/** Each destination's job for this event is `<ingest job id>-<destination id>` (src/workers/alert-fan-out.ts). */
async function readDeliveries(queues: OpenReplayQueues, queuePrefix: string, key: string, ingestJobId: string): Promise<DeliveryView[]> {
  const records = new DeliveryRecords(queues.connection, queuePrefix);
  return Promise.all(
    [...queues.deliveries].map(async ([destination, queue]): Promise<DeliveryView> => {
      const jobId = `${ingestJobId}-${destination}`;
      const [job, delivered] = await Promise.all([
        queue.getJob(jobId),
        UNRECORDED.has(destination) ? Promise.resolve(undefined) : records.wasDelivered(destination, key),
      ]);
      if (!job) return { destination, queue: queue.name, jobId, state: 'none', attemptsMade: undefined, finishedAt: undefined, error: undefined, delivered };
      return {
        destination,
        queue: queue.name,
        jobId,
        state: await job.getState(),
        attemptsMade: job.attemptsMade,
        finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
        error: job.failedReason || undefined,
        delivered,
      };
    }),
  );
}

function rawBody(text: string, source: RawBody['source']): RawBody {
  try {
    JSON.parse(text);
  } catch {
    return { text, json: false, source };
  }
  return { text: prettyJson(text), json: true, source };
}

/**
 * Re-indents valid JSON without parsing its values, so that every number, escape and key order
 * stays exactly as sent (JSON.parse would round a 64-bit id).
 */
export function prettyJson(json: string): string {
  const out: string[] = [];
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < json.length; i++) {
    const char = json[i]!;
    if (char === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      out.push(json.slice(i, end + 1));
      i = end;
      continue;
    }
    switch (char) {
      case '{':
      case '[': {
        let next = i + 1;
        while (next < json.length && /\s/.test(json[next]!)) next++;
        if (json[next] === (char === '{' ? '}' : ']')) {
          out.push(char, json[next]!);
          i = next;
        } else {
          depth++;
          out.push(char, newline());
        }
        break;
      }
      case '}':
      case ']':
        depth--;
        out.push(newline(), char);
        break;
      case ',':
        out.push(',', newline());
        break;
      case ':':
        out.push(': ');
        break;
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        break;
      default:
        out.push(char);
    }
  }
  return out.join('');
}

function storedEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    provider: row.provider,
    type: row.type,
    category: row.category,
    status: row.status,
    subjectId: row.subject_id,
    subjectName: row.subject_name,
    parentId: row.parent_id,
    parentName: row.parent_name,
    occurredAt: iso(row.occurred_at),
    receivedAt: iso(row.received_at),
    summary: row.summary,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function bounded<T>(promise: Promise<T>): Promise<T> {
  return withDeadline(promise, READ_TIMEOUT_MS, 'event page read');
}
