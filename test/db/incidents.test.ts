import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { AlertNotes } from '../../src/alerts/alert-item.ts';
import type { Db } from '../../src/db/db.ts';
import {
  listIncidents,
  markStuckNotified,
  openStuckIncidents,
  pendingStuckReports,
  writeEventsWithIncidents,
} from '../../src/db/incidents.ts';
import { migrate } from '../../src/db/migrations.ts';
import { createPgDb } from '../../src/db/pg-db.ts';
import { createEmbeddedDb } from '../../src/db/pglite-db.ts';
import { writeEvents } from '../../src/db/write-events.ts';
import type { NormalizedEvent } from '../../src/normalizers/normalized-event.ts';
import { createTestSchema } from '../support/pipeline.ts';
import { sampleEvent, sampleRaw } from '../sinks/sample-event.ts';

const databaseUrl = inject('databaseUrl');
if (!databaseUrl) console.warn('[test/db/incidents] no PostgreSQL available: the PostgreSQL half of this suite is SKIPPED, PGlite runs');

type Backend = {
  name: string;
  skip: boolean;
  /** A fresh database, another "process" on the same data (PostgreSQL: another pool), and disposal. */
  open(): Promise<{ db: Db; other(): Promise<Db>; dispose(): Promise<void> }>;
};

const BACKENDS: Backend[] = [
  {
    name: 'embedded PGlite',
    skip: false,
    async open() {
      const db = await createEmbeddedDb('memory://');
      return { db, other: async () => db, dispose: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !databaseUrl,
    async open() {
      const { url, schema, drop } = await createTestSchema();
      const db = await createPgDb(url, { schema, max: 8 });
      const others: Db[] = [];
      return {
        db,
        async other() {
          const other = await createPgDb(url, { schema, max: 4 });
          others.push(other);
          return other;
        },
        async dispose() {
          await Promise.all(others.map((o) => o.close()));
          await db.close();
          await drop();
        },
      };
    },
  },
];

/**
 * `db` whose transactions stop before their statement number `at` (0-based) until `gate` opens, the
 * first time only: a writer caught between its read and its write.
 */
function pausedWriter(db: Db, at: number, gate: Promise<void>, reached: () => void): Db {
  let paused = false;
  return {
    kind: db.kind,
    query: (text, params) => db.query(text, params),
    transaction: (work, options) =>
      db.transaction((tx) => {
        let count = 0;
        return work({
          async query(text, params) {
            if (count++ === at && !paused) {
              paused = true;
              reached();
              await gate;
            }
            return tx.query(text, params);
          },
        });
      }, options),
    close: () => db.close(),
  };
}

/** Minutes after a fixed origin, as ISO 8601. */
const T = (minutes: number) => new Date(Date.UTC(2024, 0, 16, 0, 0, 0) + minutes * 60_000).toISOString();

const PIPE = { id: 'mprtp_PIPE1', name: 'Nightly CRM sync' };

type EventSpec = { id: string; status: NormalizedEvent['status']; run: string; at: number; parent?: { id: string; name?: string } | null; provider?: NormalizedEvent['provider'] };

function ev({ id, status, run, at, parent = PIPE, provider = 'persona' }: EventSpec): NormalizedEvent {
  const base = sampleEvent({ id: `${provider}:${id}`, provider, status, occurredAt: T(at), receivedAt: T(at + 0.01), subject: { id: run, name: `Run ${run}` } });
  const { parent: _drop, ...rest } = base;
  return parent === null ? rest : { ...rest, parent };
}

describe.each(BACKENDS)('incidents on $name', ({ name, skip, open }) => {
  describe.skipIf(skip)('', () => {
    let db: Db;
    let other: () => Promise<Db>;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ db, other, dispose } = await open());
      await migrate(db);
    });
    afterAll(async () => {
      await dispose?.();
    });
    beforeEach(async () => {
      await db.query('truncate webhook_events, job_runs, incidents');
    });

    const write = (...events: NormalizedEvent[]) => writeEventsWithIncidents(db, events.map((event) => ({ event, raw: sampleRaw(event) })));
    const incidents = async () =>
      (
        await db.query<{ id: string; kind: string; series_id: string; runs_failed: number; opened_at: Date; resolved_at: Date | null; resolved_by_event_id: string | null; last_event_id: string }>(
          `select id::text as id, kind, series_id, runs_failed, opened_at, resolved_at, resolved_by_event_id, last_event_id from incidents order by incidents.id`,
        )
      ).rows;
    /** The incident-independent shape of the notes, to compare runs whose incident ids differ. */
    const shape = (notes: Map<string, AlertNotes>) =>
      Object.fromEntries(
        [...notes].map(([id, n]) => [
          id,
          {
            ...(n.failing ? { failing: { ...n.failing, incidentId: 'x' } } : {}),
            ...(n.recovered ? { recovered: { ...n.recovered, incidentId: 'x' } } : {}),
            ...(n.unstuck ? { unstuck: { ...n.unstuck, incidentId: 'x' } } : {}),
          },
        ]),
      );

    describe('failing series', () => {
      it('opens on a failed run, counts the next, recovers on the next success (series = parent)', async () => {
        const first = await write(ev({ id: 'f1', status: 'failed', run: 'r1', at: 1 }));
        const failing1 = first.get('persona:f1')?.failing;
        expect(failing1).toEqual({ incidentId: expect.stringMatching(/^\d+$/), series: PIPE, failureNumber: 1, since: T(1) });

        const second = await write(ev({ id: 'f2', status: 'partial', run: 'r2', at: 2 }));
        expect(second.get('persona:f2')).toEqual({ failing: { incidentId: failing1!.incidentId, series: PIPE, failureNumber: 2, since: T(1) } });

        // The same run failing again (another event key) is still one failed run.
        const again = await write(ev({ id: 'f2b', status: 'failed', run: 'r2', at: 2.5 }));
        expect(again.get('persona:f2b')?.failing?.failureNumber).toBe(2);

        // Canceled and non-terminal events change nothing.
        const quiet = await write(ev({ id: 'c3', status: 'canceled', run: 'r3', at: 2.7 }), ev({ id: 's4', status: 'started', run: 'r4', at: 2.8 }));
        expect(quiet.size).toBe(0);

        const recovery = await write(ev({ id: 'ok', status: 'succeeded', run: 'r4', at: 3 }));
        expect(recovery.get('persona:ok')).toEqual({
          recovered: { incidentId: failing1!.incidentId, series: PIPE, runsFailed: 2, since: T(1) },
        });
        expect(await incidents()).toEqual([
          {
            id: failing1!.incidentId,
            kind: 'failing',
            series_id: PIPE.id,
            runs_failed: 2,
            opened_at: new Date(T(1)),
            resolved_at: new Date(T(3)),
            resolved_by_event_id: 'persona:ok',
            last_event_id: 'persona:f2b',
          },
        ]);
        const listed = await listIncidents(db);
        expect(listed).toEqual([
          expect.objectContaining({
            id: failing1!.incidentId,
            provider: 'persona',
            kind: 'failing',
            seriesId: PIPE.id,
            seriesName: PIPE.name,
            subjectId: null,
            openedAt: T(1),
            resolvedAt: T(3),
            runsFailed: 2,
            firstEventId: 'persona:f1',
            lastEventId: 'persona:f2b',
            lastFailedAt: T(2.5),
            resolvedByEventId: 'persona:ok',
          }),
        ]);
        expect(await listIncidents(db, { openOnly: true })).toEqual([]);

        // The stored notes are on the event rows.
        const { rows } = await db.query<{ id: string; alert: unknown }>(`select id, alert from webhook_events where alert is not null order by id`);
        expect(rows.map((r) => r.id)).toEqual(['persona:f1', 'persona:f2', 'persona:f2b', 'persona:ok']);

        // The next failure opens a new incident.
        const next = await write(ev({ id: 'f5', status: 'failed', run: 'r5', at: 5 }));
        expect(next.get('persona:f5')?.failing).toMatchObject({ failureNumber: 1, since: T(5) });
        expect(next.get('persona:f5')?.failing?.incidentId).not.toBe(failing1!.incidentId);
        expect(await listIncidents(db, { openOnly: true })).toHaveLength(1);
      });

      it('keys a series without a parent by its subject; each failure event is one more failed run', async () => {
        const a = await write(ev({ id: 'a1', status: 'failed', run: 'seg_1', at: 1, parent: null }));
        expect(a.get('persona:a1')?.failing).toMatchObject({ series: { id: 'seg_1', name: 'Run seg_1' }, failureNumber: 1, since: T(1) });
        const b = await write(ev({ id: 'a2', status: 'failed', run: 'seg_1', at: 2, parent: null }));
        expect(b.get('persona:a2')?.failing).toMatchObject({ failureNumber: 2, since: T(1) });
        // Another provider's subject of the same id is another series.
        const c = await write(ev({ id: 'a3', status: 'failed', run: 'seg_1', at: 2, parent: null, provider: 'primer' }));
        expect(c.get('primer:a3')?.failing).toMatchObject({ failureNumber: 1 });
        const ok = await write(ev({ id: 'a4', status: 'succeeded', run: 'seg_1', at: 3, parent: null }));
        expect(ok.get('persona:a4')?.recovered).toMatchObject({ series: { id: 'seg_1', name: 'Run seg_1' }, runsFailed: 2, since: T(1) });
        expect((await incidents()).map((i) => [i.series_id, i.runs_failed, i.resolved_at !== null])).toEqual([
          ['seg_1', 2, true],
          ['seg_1', 1, false],
        ]);
      });

      it('gives duplicates, replays and retried jobs the same notes and changes nothing', async () => {
        const f1 = ev({ id: 'd1', status: 'failed', run: 'r1', at: 1 });
        const first = await write(f1);
        expect(await write(f1)).toEqual(first);
        expect(await write(f1, f1)).toEqual(first);
        // A retried job: an old event and a new one.
        const f2 = ev({ id: 'd2', status: 'failed', run: 'r2', at: 2 });
        const mixed = await write(f1, f2);
        expect(mixed.get('persona:d1')).toEqual(first.get('persona:d1'));
        expect(mixed.get('persona:d2')?.failing?.failureNumber).toBe(2);
        expect(await write(f2)).toEqual(new Map([['persona:d2', mixed.get('persona:d2')]]));
        expect((await incidents())[0]?.runs_failed).toBe(2);

        const ok = ev({ id: 'd3', status: 'succeeded', run: 'r3', at: 3 });
        const recovered = await write(ok);
        expect(recovered.get('persona:d3')?.recovered?.runsFailed).toBe(2);
        expect(await write(ok, f1, f2)).toEqual(new Map([...recovered, ...mixed]));
        const rows = await incidents();
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ runs_failed: 2, resolved_by_event_id: 'persona:d3' });

        // An event stored earlier without incidents has no notes; a batch without terminal events none either.
        await writeEvents(db, [{ event: ev({ id: 'plain', status: 'failed', run: 'r9', at: 9 }), raw: '{}' }]);
        expect((await write(ev({ id: 'plain', status: 'failed', run: 'r9', at: 9 }))).size).toBe(0);
        expect((await write(ev({ id: 'st', status: 'started', run: 'r10', at: 10 }))).size).toBe(0);
        expect(await incidents()).toHaveLength(1);
      });

      it('never lets a failure older than the recovery open an incident', async () => {
        expect((await write(ev({ id: 'ok3', status: 'succeeded', run: 'r3', at: 3 }))).size).toBe(0);
        expect((await write(ev({ id: 'f2', status: 'failed', run: 'r2', at: 2 }))).size).toBe(0);
        // A failure at the same instant as the success is not later than it either.
        expect((await write(ev({ id: 'f3', status: 'failed', run: 'r3b', at: 3 }))).size).toBe(0);
        expect(await incidents()).toEqual([]);
      });

      it('never lets a success older than the failures resolve the incident', async () => {
        const f5 = await write(ev({ id: 'f5', status: 'failed', run: 'r5', at: 5 }));
        const incidentId = f5.get('persona:f5')?.failing?.incidentId;
        expect((await write(ev({ id: 'ok3', status: 'succeeded', run: 'r3', at: 3 }))).size).toBe(0);
        expect((await incidents())[0]?.resolved_at).toBeNull();
        // A failure between the late success and the open incident still counts, and moves `since` back.
        const f4 = await write(ev({ id: 'f4', status: 'failed', run: 'r4', at: 4 }));
        expect(f4.get('persona:f4')?.failing).toEqual({ incidentId, series: PIPE, failureNumber: 2, since: T(4) });
        // One older than the late success does not.
        expect((await write(ev({ id: 'f2', status: 'failed', run: 'r2', at: 2 }))).size).toBe(0);
        const ok6 = await write(ev({ id: 'ok6', status: 'succeeded', run: 'r6', at: 6 }));
        expect(ok6.get('persona:ok6')?.recovered).toEqual({ incidentId, series: PIPE, runsFailed: 2, since: T(4) });
        // A failure that happened before that recovery, arriving after it, does not reopen anything.
        expect((await write(ev({ id: 'f5b', status: 'failed', run: 'r5b', at: 5.5 }))).size).toBe(0);
        expect(await listIncidents(db, { openOnly: true })).toEqual([]);
      });

      it('gives one batch what the same events give one batch each, in occurred_at order', async () => {
        const scenario = (prefix: string) => [
          ev({ id: `${prefix}f1`, status: 'failed', run: `${prefix}r1`, at: 1, parent: { id: `${prefix}pipe` } }),
          ev({ id: `${prefix}f2`, status: 'failed', run: `${prefix}r2`, at: 2, parent: { id: `${prefix}pipe` } }),
          ev({ id: `${prefix}ok3`, status: 'succeeded', run: `${prefix}r3`, at: 3, parent: { id: `${prefix}pipe` } }),
          ev({ id: `${prefix}f4`, status: 'failed', run: `${prefix}r4`, at: 4, parent: { id: `${prefix}pipe` } }),
        ];
        const strip = (notes: Map<string, AlertNotes>, prefix: string) =>
          JSON.parse(JSON.stringify(shape(notes)).replaceAll(prefix, '')) as unknown;

        const separately = new Map<string, AlertNotes>();
        for (const event of scenario('a_')) for (const [k, v] of await write(event)) separately.set(k, v);
        const together = await write(...scenario('b_'));
        // Arrival order inside a batch does not matter: the batch is processed in occurred_at order.
        const shuffled = await write(...scenario('c_').reverse());

        expect(strip(together, 'b_')).toEqual(strip(separately, 'a_'));
        expect(strip(shuffled, 'c_')).toEqual(strip(separately, 'a_'));
        expect(strip(separately, 'a_')).toEqual({
          'persona:f1': { failing: { incidentId: 'x', series: { id: 'pipe' }, failureNumber: 1, since: T(1) } },
          'persona:f2': { failing: { incidentId: 'x', series: { id: 'pipe' }, failureNumber: 2, since: T(1) } },
          'persona:ok3': { recovered: { incidentId: 'x', series: { id: 'pipe' }, runsFailed: 2, since: T(1) } },
          'persona:f4': { failing: { incidentId: 'x', series: { id: 'pipe' }, failureNumber: 1, since: T(4) } },
        });
        // Each scenario: one resolved incident with 2 runs, one open with 1.
        const rows = await incidents();
        for (const prefix of ['a_', 'b_', 'c_']) {
          const ofSeries = rows.filter((r) => r.series_id === `${prefix}pipe`).sort((a, b) => a.opened_at.getTime() - b.opened_at.getTime());
          expect(ofSeries.map((r) => [r.runs_failed, r.resolved_at?.toISOString() ?? null]), prefix).toEqual([
            [2, T(3)],
            [1, null],
          ]);
        }
      });

      it('resolves an open incident and opens the next one in the same batch', async () => {
        const opened = await write(ev({ id: 'f1', status: 'failed', run: 'r1', at: 1 }));
        const batch = await write(ev({ id: 'f3', status: 'failed', run: 'r3', at: 3 }), ev({ id: 'ok2', status: 'succeeded', run: 'r2', at: 2 }));
        expect(batch.get('persona:ok2')?.recovered).toMatchObject({ incidentId: opened.get('persona:f1')?.failing?.incidentId, runsFailed: 1 });
        expect(batch.get('persona:f3')?.failing).toMatchObject({ failureNumber: 1, since: T(3) });
        expect(batch.get('persona:f3')?.failing?.incidentId).not.toBe(opened.get('persona:f1')?.failing?.incidentId);
        expect((await incidents()).map((r) => r.resolved_at?.toISOString() ?? null)).toEqual([T(2), null]);
      });

      it('counts each run once under concurrent writers: failure numbers 1..20, one open incident, no deadlock', async () => {
        // Pool clients of this process and of two more "processes" (on PGlite: one serialized session).
        const writers = [db, db, db, await other(), await other()];
        const events = Array.from({ length: 20 }, (_, i) => ev({ id: `cf${i}`, status: 'failed', run: `cr${i}`, at: 10 + i / 100 }));
        // Each batch also touches another series, in a different order, to give deadlocks a chance.
        const results = await Promise.all(
          writers.map((writer, w) => {
            const batch = events.filter((_, i) => i % writers.length === w);
            const side = ev({ id: `side${w}`, status: 'failed', run: `side_run${w}`, at: 10, parent: { id: w % 2 ? 'side_a' : 'side_b' } });
            const items = (w % 2 ? [side, ...batch] : [...batch, side]).map((event) => ({ event, raw: sampleRaw(event) }));
            return writeEventsWithIncidents(writer, items);
          }),
        );
        const numbers = results
          .flatMap((notes) => [...notes])
          .filter(([id]) => id.startsWith('persona:cf'))
          .map(([, n]) => n.failing?.failureNumber)
          .sort((a, b) => a! - b!);
        expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const open = await listIncidents(db, { openOnly: true });
        expect(open.filter((i) => i.seriesId === PIPE.id)).toEqual([expect.objectContaining({ runsFailed: 20, openedAt: T(10) })]);
        expect(open.map((i) => i.seriesId).sort()).toEqual([PIPE.id, 'side_a', 'side_b']);
      });
    });

    describe('stuck runs', () => {
      const thresholds = { persona: 600 };
      const now = (minutes: number) => new Date(T(minutes));

      it('opens once per run and activity, reports once, and resolves on the terminal event', async () => {
        await write(
          ev({ id: 's1', status: 'started', run: 'slow', at: 0 }),
          ev({ id: 'r1', status: 'running', run: 'slow', at: 1 }),
          ev({ id: 'fresh', status: 'started', run: 'fresh', at: 55 }),
          ev({ id: 'off', status: 'started', run: 'off', at: 0, provider: 'primer' }),
          ev({ id: 'zero', status: 'started', run: 'zero', at: 0, provider: 'reachfive' }),
          ev({ id: 'done', status: 'succeeded', run: 'done', at: 0 }),
        );
        const options = { thresholds: { ...thresholds, reachfive: 0 }, now: now(60) };
        expect(await openStuckIncidents(db, options)).toBe(1);
        expect(await openStuckIncidents(db, options)).toBe(0);
        const second = await other();
        expect((await Promise.all([openStuckIncidents(db, options), openStuckIncidents(second, options)])).reduce((a, b) => a + b)).toBe(0);
        expect(await openStuckIncidents(db, { thresholds: {}, now: now(600) })).toBe(0);
        await write(ev({ id: 'fresh_done', status: 'succeeded', run: 'fresh', at: 58 }));

        const reports = await pendingStuckReports(db);
        expect(reports).toEqual([
          {
            incidentId: expect.stringMatching(/^\d+$/),
            provider: 'persona',
            category: 'import',
            status: 'running',
            subject: { id: 'slow', name: 'Run slow' },
            parent: PIPE,
            lastEventId: 'persona:r1',
            lastEventAt: T(1),
            detectedAt: expect.any(String),
            stuckAfterSeconds: 600,
          },
        ]);
        const incidentId = reports[0]!.incidentId;
        expect(await listIncidents(db, { kind: 'stuck' })).toEqual([
          expect.objectContaining({ id: incidentId, kind: 'stuck', subjectId: 'slow', seriesId: PIPE.id, openedAt: T(1), resolvedAt: null, notifiedAt: null }),
        ]);
        await markStuckNotified(db, [incidentId]);
        expect(await pendingStuckReports(db)).toEqual([]);
        expect((await listIncidents(db, { kind: 'stuck' }))[0]?.notifiedAt).toEqual(expect.any(String));

        // A terminal event older than the activity it was stuck at does not end it.
        expect((await write(ev({ id: 'early', status: 'failed', run: 'slow', at: 0.5, parent: { id: 'other_pipe' } }))).get('persona:early')?.unstuck).toBeUndefined();

        const finished = await write(ev({ id: 'ok', status: 'succeeded', run: 'slow', at: 121 }));
        expect(finished.get('persona:ok')).toEqual({ unstuck: { incidentId, lastActivityAt: T(1), stuckForSeconds: 7200 } });
        expect(await write(ev({ id: 'ok', status: 'succeeded', run: 'slow', at: 121 }))).toEqual(finished);
        expect((await listIncidents(db, { kind: 'stuck' }))[0]).toMatchObject({ resolvedAt: T(121), resolvedByEventId: 'persona:ok' });
        expect(await openStuckIncidents(db, { thresholds, now: now(600) })).toBe(0);

        // The run starts again: new activity, stuck again, reported again.
        await write(ev({ id: 's2', status: 'started', run: 'slow', at: 200 }));
        expect(await openStuckIncidents(db, { thresholds, now: now(205) })).toBe(0);
        expect(await openStuckIncidents(db, { thresholds, now: now(215) })).toBe(1);
        const again = await pendingStuckReports(db);
        expect(again).toEqual([expect.objectContaining({ subject: { id: 'slow', name: 'Run slow' }, lastEventId: 'persona:s2', lastEventAt: T(200), status: 'started' })]);
        expect(again[0]?.incidentId).not.toBe(incidentId);

        // Its failure both opens a failing incident and ends the stuck one.
        const failed = await write(ev({ id: 'f', status: 'failed', run: 'slow', at: 230 }));
        expect(failed.get('persona:f')).toEqual({
          failing: { incidentId: expect.any(String), series: PIPE, failureNumber: 1, since: T(230) },
          unstuck: { incidentId: again[0]!.incidentId, lastActivityAt: T(200), stuckForSeconds: 1800 },
        });
        expect(await pendingStuckReports(db)).toEqual([]);
        expect(await listIncidents(db, { kind: 'stuck', openOnly: true })).toEqual([]);
      });

      // Concurrency across processes: PostgreSQL only (PGlite is one session).
      it.skipIf(name !== 'PostgreSQL')('a run finishing while a check reports it stuck: the write waits for the check, then resolves it', async () => {
        await write(ev({ id: 'w_s', status: 'started', run: 'w_run', at: 0 }));
        const second = await other();
        const done = ev({ id: 'w_ok', status: 'succeeded', run: 'w_run', at: 30 });
        let finished: Promise<Map<string, AlertNotes>> | undefined;
        let settled = false;
        await db.transaction(async (tx) => {
          expect(await openStuckIncidents(tx, { thresholds, now: now(20) })).toBe(1);
          finished = writeEventsWithIncidents(second, [{ event: done, raw: sampleRaw(done) }]);
          void finished.then(() => (settled = true));
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(settled).toBe(false);
        });
        const notes = await finished!;
        expect(notes.get('persona:w_ok')?.unstuck).toMatchObject({ lastActivityAt: T(0), stuckForSeconds: 1800 });
        expect(await listIncidents(db, { kind: 'stuck', openOnly: true })).toEqual([]);
      });

      it.skipIf(name !== 'PostgreSQL')('a check while a writer is between its read and its write leaves the run alone', async () => {
        await write(ev({ id: 'b_s', status: 'running', run: 'b_run', at: 0 }));
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        let reached!: () => void;
        const atWrite = new Promise<void>((resolve) => (reached = resolve));
        const writer = pausedWriter(await other(), 2, gate, reached);
        const done = ev({ id: 'b_fail', status: 'failed', run: 'b_run', at: 30 });
        const finished = writeEventsWithIncidents(writer, [{ event: done, raw: sampleRaw(done) }]);
        await atWrite;
        try {
          // The run is past its threshold and still running as far as the table says: it holds its lock.
          expect(await openStuckIncidents(db, { thresholds, now: now(40) })).toBe(0);
        } finally {
          open();
        }
        expect((await finished).get('persona:b_fail')).toEqual({
          failing: { incidentId: expect.any(String), series: PIPE, failureNumber: 1, since: T(30) },
        });
        expect(await openStuckIncidents(db, { thresholds, now: now(40) })).toBe(0);
        expect(await listIncidents(db, { kind: 'stuck' })).toEqual([]);
      });

      it.skipIf(name !== 'PostgreSQL')('an event key stored by a writer without locks between the read and the write: counted once', async () => {
        const first = ev({ id: 'k_f1', status: 'failed', run: 'k_r1', at: 1 });
        await write(first);
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        let reached!: () => void;
        const atWrite = new Promise<void>((resolve) => (reached = resolve));
        const writer = pausedWriter(await other(), 2, gate, reached);
        const raced = ev({ id: 'k_f2', status: 'failed', run: 'k_r2', at: 2 });
        const fresh = ev({ id: 'k_f3', status: 'failed', run: 'k_r3', at: 3 });
        const finished = writeEventsWithIncidents(writer, [raced, fresh].map((event) => ({ event, raw: sampleRaw(event) })));
        await atWrite;
        try {
          await writeEvents(db, [{ event: raced, raw: sampleRaw(raced) }]);
        } finally {
          open();
        }
        const notes = await finished;
        // Run again, the transaction finds the key stored (without notes): it changes nothing.
        expect(notes.has('persona:k_f2')).toBe(false);
        expect(notes.get('persona:k_f3')?.failing?.failureNumber).toBe(2);
        expect((await incidents()).map((i) => i.runs_failed)).toEqual([2]);
        expect((await db.query<{ n: string }>(`select count(*) as n from webhook_events`)).rows[0]?.n).toBe('3');
      });

      it('reports a run once when two checks run at once, with many runs', async () => {
        await write(...Array.from({ length: 50 }, (_, i) => ev({ id: `m${i}`, status: 'running', run: `m${i}`, at: i / 10, parent: null })));
        const second = await other();
        const options = { thresholds, now: now(60) };
        const opened = await Promise.all([openStuckIncidents(db, options), openStuckIncidents(second, options), openStuckIncidents(db, options)]);
        expect(opened.reduce((a, b) => a + b)).toBe(50);
        expect(await pendingStuckReports(db, 1000)).toHaveLength(50);
        expect(await pendingStuckReports(db, 10)).toHaveLength(10);
      });
    });
  });
});
