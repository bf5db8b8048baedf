import { createHash } from 'node:crypto';
import type { AlertNotes, SeriesRef, StuckReport } from '../alerts/alert-item.ts';
import type { EventCategory, EventStatus, NormalizedEvent } from '../normalizers/normalized-event.ts';
import type { ProviderId } from '../providers/registry.ts';
import type { Db, Queryable } from './db.ts';
import { pgText, pgTextOrNull } from './pg-text.ts';
import {
  EVENTS_CTES,
  EVENTS_RESULT,
  STATUS_RANK,
  eventColumns,
  withAlerts,
  writeEventColumns,
  writeEvents,
  writeResult,
  type EventToStore,
  type WriteRow,
} from './write-events.ts';

/*
 * The incidents bookkeeping (SPEC.md section 7), kept in the transaction that stores the events.
 *
 * Failing incidents belong to a series: (provider, parent.id) when the event has a parent, else
 * (provider, subject.id). Stuck incidents belong to a run, (provider, subject.id), and are opened by
 * openStuckIncidents from job_runs.
 *
 * Only events this transaction newly inserts change incidents: a duplicate, a replay or a retried
 * job finds its event row there already and gets the notes stored on it (webhook_events.alert)
 * back, changing nothing. The new terminal events of a batch are processed as if they had been
 * stored one at a time in the order (occurred_at, status rank, received_at, id), the order job_runs
 * uses; across batches the order is that of the commits. So a batch holding a failure and a later
 * success gives what two batches in that order give; a batch whose events arrived out of order is
 * treated as if they had arrived in order.
 *
 * Decided before written: the transaction locks, reads in one round trip what the decisions need
 * (which events are stored already, the open incidents, the latest successes, the counted runs),
 * decides in memory, and then writes the events with their notes, their runs and the incidents in
 * one statement: a row is written once, and the locks are held for the lock, the read, the write
 * and the commit only.
 *
 * Concurrency: every transaction with terminal events first takes a transaction-scoped advisory
 * lock per series and per run it touches, in one global key order, before reading anything; so the
 * open, count, resolve decisions of one series are serialized across any number of worker
 * processes, and what the read saw of them stays true until the commit. An event key found missing
 * by the read but stored meanwhile by a writer without these locks (a batch with no terminal event)
 * is caught by the write (not inserted) and the transaction is run again. The stuck check takes the
 * run's lock too, without waiting (openStuckIncidents): a run finishing while the check runs is
 * either reported and then resolved, or not reported at all.
 */

const TERMINAL: ReadonlySet<EventStatus> = new Set<EventStatus>(['failed', 'partial', 'succeeded', 'canceled']);
const FAILURE: ReadonlySet<EventStatus> = new Set<EventStatus>(['failed', 'partial']);

/** The series an event belongs to: its parent when it has one, else its subject. */
export function seriesOf(event: NormalizedEvent): SeriesRef {
  const ref = event.parent ?? event.subject;
  return ref.name === undefined ? { id: ref.id } : { id: ref.id, name: ref.name };
}

/** A terminal event about to be stored, with every string as the database will hold it. */
type Pending = {
  /** The event key as stored (pgText). */
  id: string;
  originalId: string;
  provider: ProviderId;
  status: EventStatus;
  subjectId: string;
  seriesId: string;
  seriesName: string | null;
  hasParent: boolean;
  at: number;
  received: number;
  rank: number;
};

function pending(event: NormalizedEvent): Pending {
  const ref = event.parent ?? event.subject;
  return {
    id: pgText(event.id),
    originalId: event.id,
    provider: event.provider,
    status: event.status,
    subjectId: pgText(event.subject.id),
    seriesId: pgText(ref.id),
    seriesName: pgTextOrNull(ref.name),
    hasParent: event.parent !== undefined,
    at: Date.parse(event.occurredAt),
    received: Date.parse(event.receivedAt),
    rank: STATUS_RANK[event.status],
  };
}

function byProcessingOrder(a: Pending, b: Pending): number {
  return a.at - b.at || a.rank - b.rank || a.received - b.received || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/** A 64-bit advisory lock key for one series; the SQL mixes in the schema, so schemas never contend. */
function seriesLockKey(provider: string, seriesId: string): bigint {
  return createHash('sha256').update(pairKey(provider, seriesId)).digest().readBigInt64BE(0);
}

/**
 * A run's advisory lock key, computed in SQL because the stuck check (one statement) takes it too;
 * mixed with the schema, as the series keys are.
 */
const runLockKey = (provider: string, subjectId: string) =>
  `(hashtextextended(${provider} || ':' || ${subjectId}, 7) # hashtextextended(coalesce(current_schema(), ''), 0))`;

/** The ORDER BY in a subquery (never flattened) is the order the locks are taken in. */
const LOCK_SERIES_AND_RUNS = `
select pg_advisory_xact_lock(keys.k)
from (
  select distinct k from (
    select s.k # hashtextextended(coalesce(current_schema(), ''), 0) as k from unnest($1::bigint[]) as s(k)
    union all
    select ${runLockKey('r.provider', 'r.subject_id')} from unnest($2::text[], $3::text[]) as r(provider, subject_id)
  ) as all_keys
  order by k
) as keys`;

/** Ascending key order, the same in every writer: two writers never wait on each other in a cycle. */
async function lockSeriesAndRuns(tx: Queryable, events: readonly Pending[]): Promise<void> {
  const series = new Set<bigint>();
  const runs = new PairSet();
  for (const event of events) {
    series.add(seriesLockKey(event.provider, event.seriesId));
    runs.add(event.provider, event.subjectId);
  }
  await tx.query(LOCK_SERIES_AND_RUNS, [[...series].map(String), ...runs.columns()]);
}

/**
 * What the decisions need, in one round trip, read under the locks and before anything is written:
 * - failing: the open failing incidents of the series;
 * - successes: each series' latest stored success (series with failures);
 * - counted: which runs already count in their series' open incident (the failing note of one of
 *   their failure events; such an event occurred no earlier than the incident's opened_at);
 * - stuck: the open stuck incidents of the runs;
 * - stored: the events of the batch already stored, with their notes.
 */
const READ_STATE = `
select
  (select coalesce(jsonb_agg(jsonb_build_object(
            'id', i.id::text, 'provider', i.provider, 'seriesId', i.series_id, 'seriesName', i.series_name,
            'openedAt', i.opened_at, 'lastFailedAt', i.last_failed_at, 'runsFailed', i.runs_failed)), '[]'::jsonb)
   from unnest($1::text[], $2::text[]) as s(provider, series_id)
   join incidents i on i.provider = s.provider and i.series_id = s.series_id
   where i.kind = 'failing' and i.resolved_at is null) as failing,
  (select coalesce(jsonb_agg(jsonb_build_object('provider', s.provider, 'seriesId', s.series_id, 'at', w.occurred_at)), '[]'::jsonb)
   from unnest($3::text[], $4::text[]) as s(provider, series_id)
   cross join lateral (
     select e.occurred_at from webhook_events e
     where e.status = 'succeeded' and e.provider = s.provider and coalesce(e.parent_id, e.subject_id) = s.series_id
     order by e.occurred_at desc
     limit 1
   ) as w) as successes,
  (select coalesce(jsonb_agg(jsonb_build_array(r.provider, r.subject_id, i.id::text)), '[]'::jsonb)
   from unnest($5::text[], $6::text[], $7::text[]) as r(provider, subject_id, series_id)
   join incidents i on i.provider = r.provider and i.series_id = r.series_id and i.kind = 'failing' and i.resolved_at is null
   where exists (
     select 1 from webhook_events e
     -- status || '': not an index condition, so that the planner takes the run's index (provider,
     -- subject_id, occurred_at) even with stale statistics, instead of scanning a provider's failures.
     where e.provider = r.provider and e.subject_id = r.subject_id and e.occurred_at >= i.opened_at
       and e.status || '' in ('failed', 'partial') and e.alert->'failing'->>'incidentId' = i.id::text
   )) as counted,
  (select coalesce(jsonb_agg(jsonb_build_object(
            'id', i.id::text, 'provider', i.provider, 'subjectId', i.subject_id, 'openedAt', i.opened_at)), '[]'::jsonb)
   from unnest($8::text[], $9::text[]) as r(provider, subject_id)
   join incidents i on i.provider = r.provider and i.subject_id = r.subject_id
   where i.kind = 'stuck' and i.resolved_at is null) as stuck,
  (select coalesce(jsonb_agg(jsonb_build_array(e.id, e.alert)), '[]'::jsonb)
   from webhook_events e
   where e.id = any($10::text[])) as stored`;

type StateRow = {
  failing: Array<{ id: string; provider: string; seriesId: string; seriesName: string | null; openedAt: string; lastFailedAt: string | null; runsFailed: number }>;
  successes: Array<{ provider: string; seriesId: string; at: string }>;
  counted: Array<[string, string, string]>;
  stuck: Array<{ id: string; provider: string; subjectId: string; openedAt: string }>;
  stored: Array<[string, AlertNotes | null]>;
};

/** Ids for the incidents this transaction opens, so that their notes are complete before the write. */
const ALLOCATE_INCIDENT_IDS = `select nextval(pg_get_serial_sequence('incidents', 'id'))::text as id from generate_series(1, $1::integer)`;

/** A null in the input keeps the column as it is. Parameters from `$${first}`. */
const updateIncidents = (first: number) => {
  const p = (n: number) => `$${first + n}`;
  return `
  update incidents i set
    series_name          = coalesce(u.series_name, i.series_name),
    opened_at            = coalesce(u.opened_at, i.opened_at),
    last_failed_at       = coalesce(u.last_failed_at, i.last_failed_at),
    runs_failed          = coalesce(u.runs_failed, i.runs_failed),
    last_event_id        = coalesce(u.last_event_id, i.last_event_id),
    resolved_at          = coalesce(u.resolved_at, i.resolved_at),
    resolved_by_event_id = coalesce(u.resolved_by_event_id, i.resolved_by_event_id),
    updated_at           = now()
  from unnest(${p(0)}::bigint[], ${p(1)}::text[], ${p(2)}::timestamptz[], ${p(3)}::timestamptz[], ${p(4)}::integer[], ${p(5)}::text[],
              ${p(6)}::timestamptz[], ${p(7)}::text[])
    as u(id, series_name, opened_at, last_failed_at, runs_failed, last_event_id, resolved_at, resolved_by_event_id)
  where i.id = u.id
  returning 1`;
};

const UPDATE_INCIDENTS = updateIncidents(1);

/**
 * The events (EVENTS_CTES, $1–$19, their notes included), the incidents this batch opens (in their
 * final state, with the ids allocated for them) and those it changes, in one statement.
 */
const WRITE_EVENTS_AND_INCIDENTS = `${EVENTS_CTES},
opened as (
  insert into incidents (id, provider, series_id, series_name, kind, opened_at, resolved_at, runs_failed, first_event_id,
                         last_event_id, last_failed_at, resolved_by_event_id)
  overriding system value
  select id, provider, series_id, series_name, 'failing', opened_at, resolved_at, runs_failed, first_event_id,
         last_event_id, last_failed_at, resolved_by_event_id
  from unnest($20::bigint[], $21::text[], $22::text[], $23::text[], $24::timestamptz[], $25::timestamptz[], $26::integer[],
              $27::text[], $28::text[], $29::timestamptz[], $30::text[])
    as u(id, provider, series_id, series_name, opened_at, resolved_at, runs_failed, first_event_id, last_event_id,
         last_failed_at, resolved_by_event_id)
  returning 1
),
changed as (${updateIncidents(31)}
)
select ${EVENTS_RESULT}`;

/** A failing incident as this transaction sees it; `id` is undefined until one is allocated for a new one. */
type FailingState = {
  id: string | undefined;
  provider: string;
  seriesId: string;
  seriesName: string | null;
  openedAt: number;
  lastFailedAt: number;
  runsFailed: number;
  /** The event that opened it: set for the incidents this transaction opens, null for the others. */
  firstEventId: string | null;
  lastEventId: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** Runs (subject ids) that count in it already. */
  counted: Set<string>;
  changed: boolean;
};

type StuckState = { id: string; openedAt: number; resolvedAt: number | null; resolvedBy: string | null };

/** Notes before new incidents have their ids. */
type Draft = {
  failing?: { incident: FailingState; series: SeriesRef; failureNumber: number; since: string };
  recovered?: { incident: FailingState; series: SeriesRef; runsFailed: number; since: string };
  unstuck?: { incidentId: string; lastActivityAt: string; stuckForSeconds: number };
};

const iso = (ms: number) => new Date(ms).toISOString();
const msOf = (value: string | Date) => (value instanceof Date ? value.getTime() : Date.parse(value));

/** An event key the read found missing was stored by another writer before this one's insert. */
class StoredMeanwhile extends Error {}

/** Each attempt after the first has found a key stored meanwhile; a third is not expected to. */
const ATTEMPTS = 3;

/**
 * Stores a batch of events (as writeEvents does) and keeps the incidents in step, in one
 * transaction. Returns the notes of each event that has any: those computed now for the events
 * this call stored, those stored with them earlier for the events that were there already.
 */
export async function writeEventsWithIncidents(db: Db, items: readonly EventToStore[]): Promise<Map<string, AlertNotes>> {
  if (items.length === 0) return new Map();
  const terminal = items.filter(({ event }) => TERMINAL.has(event.status)).map(({ event }) => pending(event));
  if (terminal.length === 0) {
    // Nothing here touches an incident: the one statement of writeEvents is atomic by itself.
    await writeEvents(db, items);
    return new Map();
  }
  // Built before the locks are taken: only the notes depend on what is read under them.
  const columns = eventColumns(items);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => writeDecided(tx, columns, terminal));
    } catch (error) {
      if (!(error instanceof StoredMeanwhile) || attempt >= ATTEMPTS) throw error;
    }
  }
}

async function writeDecided(tx: Queryable, columns: readonly unknown[][], terminal: readonly Pending[]): Promise<Map<string, AlertNotes>> {
  if (terminal.some((event) => !Number.isFinite(event.at) || !Number.isFinite(event.received))) {
    // The database's verdict on such a time is the one to give (a data error is permanent); one it
    // accepts still cannot be ordered against the others.
    await writeEventColumns(tx, columns);
    throw new Error('an event time the database accepts is not one JavaScript can read');
  }
  await lockSeriesAndRuns(tx, terminal);
  const state = await readState(tx, terminal);

  const stored = new Map(state.stored);
  const result = new Map<string, AlertNotes>();
  const fresh: Pending[] = [];
  const seen = new Set<string>();
  for (const event of terminal) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    if (!stored.has(event.id)) {
      fresh.push(event);
      continue;
    }
    const notes = stored.get(event.id);
    if (notes && Object.keys(notes).length > 0) result.set(event.originalId, notes);
  }
  fresh.sort(byProcessingOrder);
  if (fresh.length === 0) {
    await writeEventColumns(tx, columns);
    return result;
  }

  const { drafts, created, changed, stuckChanged } = decide(fresh, state);
  let toUpdate = { changed, stuckChanged };
  if (created.length > 0) {
    await allocateIds(tx, created);
    // A series whose incident this batch resolved and then opened again: the resolution must be
    // written before the new open incident, or the partial unique index refuses it.
    if (changed.some((incident) => incident.resolvedAt !== null)) {
      await tx.query(UPDATE_INCIDENTS, incidentUpdates(changed, stuckChanged));
      toUpdate = { changed: [], stuckChanged: [] };
    }
  }
  const alerts = new Map<string, string>();
  for (const [event, draft] of drafts) {
    const notes = finish(draft);
    alerts.set(event.id, JSON.stringify(notes));
    result.set(event.originalId, notes);
  }
  const { rows } = await tx.query<WriteRow>(WRITE_EVENTS_AND_INCIDENTS, [
    ...withAlerts(columns, alerts),
    ...incidentInserts(created),
    ...incidentUpdates(toUpdate.changed, toUpdate.stuckChanged),
  ]);
  const inserted = new Set(writeResult(rows[0]).insertedIds);
  if (fresh.some((event) => !inserted.has(event.id))) throw new StoredMeanwhile('an event of the batch was stored by another writer meanwhile');
  return result;
}

async function readState(tx: Queryable, terminal: readonly Pending[]): Promise<StateRow> {
  // Of every terminal event: those already stored are told apart only by this very read.
  const series = new PairSet();
  const failingSeries = new PairSet();
  const failingRuns = new TripleSet();
  const runs = new PairSet();
  const ids = new Set<string>();
  for (const event of terminal) {
    ids.add(event.id);
    runs.add(event.provider, event.subjectId);
    if (event.status === 'canceled') continue;
    series.add(event.provider, event.seriesId);
    if (FAILURE.has(event.status)) {
      failingSeries.add(event.provider, event.seriesId);
      if (event.hasParent) failingRuns.add(event.provider, event.subjectId, event.seriesId);
    }
  }
  const { rows } = await tx.query<StateRow>(READ_STATE, [
    ...series.columns(),
    ...failingSeries.columns(),
    ...failingRuns.columns(),
    ...runs.columns(),
    [...ids],
  ]);
  const row = rows[0];
  if (!row) throw new Error('reading the incidents state returned no row');
  return row;
}

/** The rules of SPEC.md section 7, applied to the new terminal events in processing order. */
function decide(fresh: readonly Pending[], state: StateRow) {
  const open = new Map<string, FailingState>();
  const byId = new Map<string, FailingState>();
  for (const row of state.failing) {
    const incident: FailingState = {
      id: row.id,
      provider: row.provider,
      seriesId: row.seriesId,
      seriesName: row.seriesName,
      openedAt: msOf(row.openedAt),
      lastFailedAt: row.lastFailedAt === null ? msOf(row.openedAt) : msOf(row.lastFailedAt),
      runsFailed: row.runsFailed,
      firstEventId: null,
      lastEventId: null,
      resolvedAt: null,
      resolvedBy: null,
      counted: new Set(),
      changed: false,
    };
    open.set(pairKey(row.provider, row.seriesId), incident);
    byId.set(row.id, incident);
  }
  for (const [provider, subjectId, incidentId] of state.counted) {
    const incident = byId.get(incidentId);
    if (incident && incident.provider === provider) incident.counted.add(subjectId);
  }
  const lastSuccess = new Map<string, number>();
  for (const row of state.successes) lastSuccess.set(pairKey(row.provider, row.seriesId), msOf(row.at));
  const stuck = new Map<string, StuckState[]>();
  for (const row of state.stuck) {
    const key = pairKey(row.provider, row.subjectId);
    const list = stuck.get(key) ?? [];
    list.push({ id: row.id, openedAt: msOf(row.openedAt), resolvedAt: null, resolvedBy: null });
    stuck.set(key, list);
  }
  for (const list of stuck.values()) list.sort((a, b) => a.openedAt - b.openedAt);

  const drafts: Array<[Pending, Draft]> = [];
  const created: FailingState[] = [];
  const touched = new Set<FailingState>();
  const stuckChanged: StuckState[] = [];

  for (const event of fresh) {
    const draft: Draft = {};
    const seriesKey = pairKey(event.provider, event.seriesId);
    const series = (incident: FailingState): SeriesRef => {
      const name = event.seriesName ?? incident.seriesName;
      return name === null ? { id: event.seriesId } : { id: event.seriesId, name };
    };

    if (event.status === 'succeeded') {
      lastSuccess.set(seriesKey, Math.max(lastSuccess.get(seriesKey) ?? -Infinity, event.at));
      const incident = open.get(seriesKey);
      if (incident && event.at > incident.lastFailedAt) {
        incident.resolvedAt = event.at;
        incident.resolvedBy = event.id;
        incident.seriesName = event.seriesName ?? incident.seriesName;
        incident.changed = true;
        touched.add(incident);
        open.delete(seriesKey);
        draft.recovered = { incident, series: series(incident), runsFailed: incident.runsFailed, since: iso(incident.openedAt) };
      }
    } else if (FAILURE.has(event.status)) {
      const recoveredAt = lastSuccess.get(seriesKey);
      // A failure no later than a success of the series is older than its recovery: no change.
      if (recoveredAt === undefined || recoveredAt < event.at) {
        let incident = open.get(seriesKey);
        if (incident === undefined) {
          incident = {
            id: undefined,
            provider: event.provider,
            seriesId: event.seriesId,
            seriesName: event.seriesName,
            openedAt: event.at,
            lastFailedAt: event.at,
            runsFailed: 1,
            firstEventId: event.id,
            lastEventId: event.id,
            resolvedAt: null,
            resolvedBy: null,
            counted: new Set([event.subjectId]),
            changed: true,
          };
          open.set(seriesKey, incident);
          created.push(incident);
        } else {
          // With a parent, a run counts once however many failure events it sends; without one,
          // the subject is the series itself and each failure event is one more failed run.
          if (!event.hasParent || !incident.counted.has(event.subjectId)) incident.runsFailed += 1;
          incident.counted.add(event.subjectId);
          if (event.at >= incident.lastFailedAt) {
            incident.lastFailedAt = event.at;
            incident.lastEventId = event.id;
          }
          incident.openedAt = Math.min(incident.openedAt, event.at);
          incident.seriesName = event.seriesName ?? incident.seriesName;
          incident.changed = true;
          touched.add(incident);
        }
        draft.failing = { incident, series: series(incident), failureNumber: incident.runsFailed, since: iso(incident.openedAt) };
      }
    }

    // Any terminal status ends the run's open stuck incidents that began no later than it.
    const runStuck = stuck.get(pairKey(event.provider, event.subjectId));
    if (runStuck) {
      for (const incident of runStuck) {
        if (incident.resolvedAt !== null || incident.openedAt > event.at) continue;
        incident.resolvedAt = event.at;
        incident.resolvedBy = event.id;
        stuckChanged.push(incident);
        // Several open at once cannot happen through openStuckIncidents; the longest stuck one is told.
        draft.unstuck ??= {
          incidentId: incident.id,
          lastActivityAt: iso(incident.openedAt),
          stuckForSeconds: Math.max(0, Math.floor((event.at - incident.openedAt) / 1000)),
        };
      }
    }

    if (draft.failing || draft.recovered || draft.unstuck) drafts.push([event, draft]);
  }
  // New incidents are inserted in their final state; only the others need an update.
  const changed = [...touched].filter((incident) => incident.id !== undefined && incident.changed);
  return { drafts, created, changed, stuckChanged };
}

function finish(draft: Draft): AlertNotes {
  const notes: AlertNotes = {};
  if (draft.failing) {
    const { incident, series, failureNumber, since } = draft.failing;
    notes.failing = { incidentId: incident.id!, series, failureNumber, since };
  }
  if (draft.recovered) {
    const { incident, series, runsFailed, since } = draft.recovered;
    notes.recovered = { incidentId: incident.id!, series, runsFailed, since };
  }
  if (draft.unstuck) notes.unstuck = draft.unstuck;
  return notes;
}

async function allocateIds(tx: Queryable, created: readonly FailingState[]): Promise<void> {
  const { rows } = await tx.query<{ id: string }>(ALLOCATE_INCIDENT_IDS, [created.length]);
  const ids = rows.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length !== created.length) throw new Error(`allocated ${ids.length} incident ids for ${created.length} incidents`);
  created.forEach((incident, i) => {
    incident.id = String(ids[i]);
  });
}

function incidentInserts(created: readonly FailingState[]): unknown[][] {
  return [
    created.map((i) => i.id),
    created.map((i) => i.provider),
    created.map((i) => i.seriesId),
    created.map((i) => i.seriesName),
    created.map((i) => iso(i.openedAt)),
    created.map((i) => (i.resolvedAt === null ? null : iso(i.resolvedAt))),
    created.map((i) => i.runsFailed),
    created.map((i) => i.firstEventId),
    created.map((i) => i.lastEventId),
    created.map((i) => iso(i.lastFailedAt)),
    created.map((i) => i.resolvedBy),
  ];
}

function incidentUpdates(changed: readonly FailingState[], stuckChanged: readonly StuckState[]): unknown[][] {
  const rows = [
    ...changed.map((i) => [
      i.id,
      i.seriesName,
      iso(i.openedAt),
      iso(i.lastFailedAt),
      i.runsFailed,
      i.lastEventId,
      i.resolvedAt === null ? null : iso(i.resolvedAt),
      i.resolvedBy,
    ]),
    ...stuckChanged.map((i) => [i.id, null, null, null, null, null, i.resolvedAt === null ? null : iso(i.resolvedAt), i.resolvedBy]),
  ];
  return Array.from({ length: 8 }, (_, c) => rows.map((row) => row[c] ?? null));
}

/** Distinct (a, b) pairs, as two parallel arrays for unnest. */
class PairSet {
  private readonly keys = new Set<string>();
  private readonly first: string[] = [];
  private readonly second: string[] = [];
  add(a: string, b: string): void {
    const key = pairKey(a, b);
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.first.push(a);
    this.second.push(b);
  }
  columns(): [string[], string[]] {
    return [this.first, this.second];
  }
}

/** Distinct (a, b, c) triples, as three parallel arrays for unnest. */
class TripleSet {
  private readonly keys = new Set<string>();
  private readonly columnsOf: [string[], string[], string[]] = [[], [], []];
  add(a: string, b: string, c: string): void {
    const key = `${pairKey(a, b)}\u0000${c}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.columnsOf[0].push(a);
    this.columnsOf[1].push(b);
    this.columnsOf[2].push(c);
  }
  columns(): [string[], string[], string[]] {
    return this.columnsOf;
  }
}

// ---------------------------------------------------------------------------------------------
// Stuck runs

export type StuckCheckOptions = {
  /** Seconds per provider after which a run still started/running/resumed is stuck; 0 or missing: never. */
  thresholds: Partial<Record<ProviderId, number>>;
  /** The check's clock; the database's now() when omitted. */
  now?: Date;
};

/**
 * The job_runs rows it reports are locked (SKIP LOCKED: a run being written right now is left for
 * the next check), and so are their runs' advisory locks (tried, never waited for: a run whose
 * terminal event a writer is deciding about holds it from before that writer's read until its
 * commit, and is left for the next check too), so a run cannot finish between being found and
 * being reported; a run that has an open stuck incident, or was reported for the same latest
 * activity, is not reported again. Two checks at once report each run once (the unique index and
 * ON CONFLICT DO NOTHING).
 */
const OPEN_STUCK = `
with thresholds as (
  select * from unnest($1::text[], $2::double precision[]) as t(provider, seconds)
),
due as (
  select r.provider, r.subject_id, r.subject_name, r.parent_id, r.parent_name, r.occurred_at, r.event_id, t.seconds
  from job_runs r
  join thresholds t on t.provider = r.provider
  where r.status in ('started', 'running', 'resumed')
    and r.occurred_at < coalesce($3::timestamptz, now()) - make_interval(secs => t.seconds)
    and not exists (
      select 1 from incidents i
      where i.kind = 'stuck' and i.provider = r.provider and i.subject_id = r.subject_id
        and (i.resolved_at is null or i.opened_at = r.occurred_at)
    )
    and pg_try_advisory_xact_lock(${runLockKey('r.provider', 'r.subject_id')})
  order by r.provider, r.subject_id
  for update of r skip locked
)
insert into incidents (provider, series_id, series_name, kind, subject_id, opened_at, runs_failed, first_event_id,
                       last_event_id, stuck_after_seconds)
select provider, coalesce(parent_id, subject_id), case when parent_id is null then subject_name else parent_name end,
       'stuck', subject_id, occurred_at, 0, event_id, event_id, ceil(seconds)::integer
from due
on conflict (provider, subject_id, opened_at) where kind = 'stuck' do nothing
returning id`;

/** Opens a stuck incident for every run past its provider's threshold; returns how many it opened. */
export async function openStuckIncidents(db: Queryable, options: StuckCheckOptions): Promise<number> {
  const entries = Object.entries(options.thresholds).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]) && entry[1] > 0,
  );
  if (entries.length === 0) return 0;
  const { rows } = await db.query<{ id: string }>(OPEN_STUCK, [
    entries.map(([provider]) => provider),
    entries.map(([, seconds]) => seconds),
    options.now?.toISOString() ?? null,
  ]);
  return rows.length;
}

type StuckRow = {
  id: string;
  provider: ProviderId;
  subject_id: string;
  last_event_id: string;
  opened_at: Date;
  created_at: Date;
  stuck_after_seconds: number | null;
  category: EventCategory;
  status: EventStatus;
  subject_name: string | null;
  parent_id: string | null;
  parent_name: string | null;
};

/** Open stuck incidents whose report has not been queued yet, oldest first. */
export async function pendingStuckReports(db: Queryable, limit = 100): Promise<StuckReport[]> {
  const { rows } = await db.query<StuckRow>(
    `select i.id::text as id, i.provider, i.subject_id, i.last_event_id, i.opened_at, i.created_at, i.stuck_after_seconds,
            r.category, r.status, r.subject_name, r.parent_id, r.parent_name
     from incidents i
     join job_runs r on r.provider = i.provider and r.subject_id = i.subject_id
     where i.kind = 'stuck' and i.resolved_at is null and i.notified_at is null
     order by i.created_at, i.id
     limit $1`,
    [clampLimit(limit, 100)],
  );
  return rows.map((row) => ({
    incidentId: row.id,
    provider: row.provider,
    category: row.category,
    status: row.status,
    subject: row.subject_name === null ? { id: row.subject_id } : { id: row.subject_id, name: row.subject_name },
    ...(row.parent_id === null
      ? {}
      : { parent: row.parent_name === null ? { id: row.parent_id } : { id: row.parent_id, name: row.parent_name } }),
    lastEventId: row.last_event_id,
    lastEventAt: isoOf(row.opened_at),
    detectedAt: isoOf(row.created_at),
    stuckAfterSeconds: row.stuck_after_seconds ?? 0,
  }));
}

/** Records that the reports of these stuck incidents were queued. */
export async function markStuckNotified(db: Queryable, incidentIds: readonly string[]): Promise<void> {
  if (incidentIds.length === 0) return;
  await db.query(
    `update incidents set notified_at = now(), updated_at = now()
     where id = any($1::bigint[]) and kind = 'stuck' and notified_at is null`,
    [[...incidentIds]],
  );
}

// ---------------------------------------------------------------------------------------------
// The status page

export type IncidentKind = 'failing' | 'stuck';

export type Incident = {
  id: string;
  provider: ProviderId;
  kind: IncidentKind;
  seriesId: string;
  seriesName: string | null;
  /** Stuck incidents: the run. */
  subjectId: string | null;
  openedAt: string;
  /** Null while open. */
  resolvedAt: string | null;
  runsFailed: number;
  firstEventId: string | null;
  lastEventId: string;
  lastFailedAt: string | null;
  resolvedByEventId: string | null;
  notifiedAt: string | null;
  stuckAfterSeconds: number | null;
  createdAt: string;
  updatedAt: string;
};

export type IncidentFilter = {
  provider?: ProviderId;
  /** One series' incidents (failing and stuck: a stuck incident's series is its run's). */
  seriesId?: string;
  kind?: IncidentKind;
  openOnly?: boolean;
  limit?: number;
};

type IncidentRow = {
  id: string;
  provider: ProviderId;
  kind: IncidentKind;
  series_id: string;
  series_name: string | null;
  subject_id: string | null;
  opened_at: Date;
  resolved_at: Date | null;
  runs_failed: number;
  first_event_id: string | null;
  last_event_id: string;
  last_failed_at: Date | null;
  resolved_by_event_id: string | null;
  notified_at: Date | null;
  stuck_after_seconds: number | null;
  created_at: Date;
  updated_at: Date;
};

/** Open incidents first, then the most recently opened. */
export async function listIncidents(db: Queryable, filter: IncidentFilter = {}): Promise<Incident[]> {
  const { rows } = await db.query<IncidentRow>(
    `select id::text as id, provider, kind, series_id, series_name, subject_id, opened_at, resolved_at, runs_failed,
            first_event_id, last_event_id, last_failed_at, resolved_by_event_id, notified_at, stuck_after_seconds,
            created_at, updated_at
     from incidents
     where ($1::text is null or provider = $1) and ($2::text is null or kind = $2)
       and (not $3::boolean or resolved_at is null) and ($5::text is null or series_id = $5)
     order by (resolved_at is null) desc, opened_at desc, id desc
     limit $4`,
    [filter.provider ?? null, filter.kind ?? null, filter.openOnly ?? false, clampLimit(filter.limit, 100), filter.seriesId ?? null],
  );
  return rows.map((row) => ({
    id: row.id,
    provider: row.provider,
    kind: row.kind,
    seriesId: row.series_id,
    seriesName: row.series_name,
    subjectId: row.subject_id,
    openedAt: isoOf(row.opened_at),
    resolvedAt: row.resolved_at === null ? null : isoOf(row.resolved_at),
    runsFailed: Number(row.runs_failed),
    firstEventId: row.first_event_id,
    lastEventId: row.last_event_id,
    lastFailedAt: row.last_failed_at === null ? null : isoOf(row.last_failed_at),
    resolvedByEventId: row.resolved_by_event_id,
    notifiedAt: row.notified_at === null ? null : isoOf(row.notified_at),
    stuckAfterSeconds: row.stuck_after_seconds === null ? null : Number(row.stuck_after_seconds),
    createdAt: isoOf(row.created_at),
    updatedAt: isoOf(row.updated_at),
  }));
}

const MAX_LIMIT = 1_000;

function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

function isoOf(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
