import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Db } from '../../src/db/db.ts';
import { MIGRATIONS, migrate } from '../../src/db/migrations.ts';
import { createPgDb } from '../../src/db/pg-db.ts';
import { createEmbeddedDb } from '../../src/db/pglite-db.ts';
import { jobRuns, recentEvents } from '../../src/db/queries.ts';
import type { NormalizedEvent } from '../../src/normalizers/normalized-event.ts';
import { SinkError } from '../../src/shared/errors.ts';
import { createDatabaseSink } from '../../src/sinks/database.ts';
import type { Delivery } from '../../src/sinks/sink.ts';
import { sampleEvent, sampleRaw } from '../sinks/sample-event.ts';

const databaseUrl = inject('databaseUrl');
if (!databaseUrl) console.warn('[test/db] no PostgreSQL available: the PostgreSQL half of this suite is skipped, PGlite runs');

type Backend = {
  name: string;
  skip: boolean;
  /** A fresh, unmigrated database, and how to throw it away. */
  open(): Promise<{ db: Db; dispose(): Promise<void>; reopen(): Promise<Db> }>;
};

const BACKENDS: Backend[] = [
  {
    name: 'embedded PGlite',
    skip: false,
    async open() {
      const db = await createEmbeddedDb('memory://');
      return { db, dispose: () => db.close(), reopen: async () => db };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !databaseUrl,
    async open() {
      const schema = `t_db_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const db = await createPgDb(databaseUrl, { schema, max: 4 });
      const others: Db[] = [];
      return {
        db,
        // A second pool on the same schema: "another process".
        reopen: async () => {
          const other = await createPgDb(databaseUrl, { schema, max: 2 });
          others.push(other);
          return other;
        },
        async dispose() {
          await Promise.all(others.map((other) => other.close()));
          await db.query(`drop schema if exists ${schema} cascade`);
          await db.close();
        },
      };
    },
  },
];

const at = (iso: string) => iso; // readability in the lifecycle tests
const signal = () => AbortSignal.timeout(10_000);

function delivery(overrides: Partial<NormalizedEvent> = {}, raw?: string): Delivery {
  const event = sampleEvent(overrides);
  return { event, raw: raw ?? sampleRaw(event) };
}

describe.each(BACKENDS)('database on $name', ({ skip, open }) => {
  describe.skipIf(skip)('', () => {
    let db: Db;
    let dispose: () => Promise<void>;
    let reopen: () => Promise<Db>;

    beforeAll(async () => {
      ({ db, dispose, reopen } = await open());
      await migrate(db);
    });
    afterAll(async () => {
      await dispose?.();
    });
    beforeEach(async () => {
      await db.query('truncate webhook_events, job_runs');
    });

    const count = async (table: string): Promise<number> =>
      Number((await db.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n);
    const run = async (subjectId: string) =>
      (
        await db.query<{ status: string; event_id: string; subject_name: string | null }>(
          `select status, event_id, subject_name from job_runs where provider = 'persona' and subject_id = $1`,
          [subjectId],
        )
      ).rows;

    describe('migrations', () => {
      it('are idempotent: a second run applies nothing and changes nothing', async () => {
        expect((await migrate(db)).applied).toEqual([]);
        const { rows } = await db.query<{ version: number }>('select version from schema_migrations order by version');
        expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
        expect(await count('webhook_events')).toBe(0);
      });

      it('are safe when two openers migrate at once', async () => {
        const other = await reopen();
        // Both race to apply a new migration on top of the existing ones; the lock lets exactly one do it.
        const extra = [...MIGRATIONS, { version: 9_999, name: 'race', statements: ['create table race_probe (id int)'] }];
        const results = await Promise.all([migrate(db, extra), migrate(other, extra)]);
        expect(results.map((r) => r.applied).flat()).toEqual([9_999]);
        const { rows } = await db.query<{ n: string }>('select count(*) as n from schema_migrations where version = 9999');
        expect(Number(rows[0]?.n)).toBe(1);
        await db.query('drop table race_probe');
        await db.query('delete from schema_migrations where version = 9999');
      });
    });

    it('keeps other queries out of an open transaction', async () => {
      const rolledBack = db.transaction(async (tx) => {
        await tx.query(`insert into job_runs (provider, subject_id, category, type, status, status_rank, occurred_at, received_at, event_id, summary)
                        values ('persona', 'tx_probe', 'import', 't', 'failed', 2, now(), now(), 'e', 's')`);
        await tx.query('select pg_sleep(0.2)');
        throw new Error('roll back');
      });
      const outside = db.query<{ n: string }>(`select count(*) as n from job_runs where subject_id = 'tx_probe'`);
      await expect(rolledBack).rejects.toThrow('roll back');
      expect(Number((await outside).rows[0]?.n)).toBe(0);
      expect(await count('job_runs')).toBe(0);
    });

    describe('the database sink', () => {
      const sink = () => createDatabaseSink(db);

      it('stores an event once however often it is delivered, with the event and raw body as jsonb', async () => {
        const d = delivery();
        await sink().write([d], signal());
        await sink().write([d], signal());
        expect(await count('webhook_events')).toBe(1);
        const { rows } = await db.query<{ event: unknown; raw: unknown; raw_type: string; occurred_at: Date; subject_name: string }>(
          `select event, raw, jsonb_typeof(raw) as raw_type, occurred_at, subject_name from webhook_events where id = $1`,
          [d.event.id],
        );
        expect(rows[0]?.event).toEqual(d.event);
        expect(rows[0]?.raw).toEqual(JSON.parse(d.raw));
        expect(rows[0]?.raw_type).toBe('object');
        expect(rows[0]?.occurred_at).toEqual(new Date(d.event.occurredAt));
        expect(rows[0]?.subject_name).toBe('Customer Data Import');
        expect(await count('job_runs')).toBe(1);
      });

      it('keeps a body that is not JSON as a JSON string, and survives NUL and lone surrogates', async () => {
        await sink().write([delivery({ id: 'persona:not-json' }, 'status=ok&id=1')], signal());
        await sink().write(
          [
            delivery(
              { id: 'persona:nul', subject: { id: 'run\u0000x', name: 'bad \uD800 name' }, summary: 'nul \u0000 here' },
              '{"a":"x\\u0000y","b":"\\ud800","\\u0000k":1}',
            ),
          ],
          signal(),
        );
        const { rows } = await db.query<{ id: string; raw: unknown; summary: string; subject_id: string }>(
          `select id, raw, summary, subject_id from webhook_events order by id`,
        );
        expect(rows).toEqual([
          { id: 'persona:not-json', raw: 'status=ok&id=1', summary: expect.any(String), subject_id: 'mprtpr_ABC123DEF456' },
          { id: 'persona:nul', raw: { a: 'x\uFFFDy', b: '\uFFFD', '\uFFFDk': 1 }, summary: 'nul \uFFFD here', subject_id: 'run\uFFFDx' },
        ]);
      });

      it('keeps the latest status per run when events arrive out of order', async () => {
        const subject = { id: 'run_ooo', name: 'Out of order' };
        const completed = delivery({ id: 'persona:c', status: 'succeeded', subject, occurredAt: at('2024-01-16T02:14:09.118Z') });
        const started = delivery({ id: 'persona:s', status: 'started', subject, occurredAt: at('2024-01-16T02:00:00.500Z') });
        await sink().write([completed], signal());
        await sink().write([started], signal());
        expect(await run('run_ooo')).toEqual([{ status: 'succeeded', event_id: 'persona:c', subject_name: 'Out of order' }]);

        // Re-run of the same run id later on, without a name this time: the status moves, the name stays.
        const failed = delivery({ id: 'persona:f', status: 'failed', subject: { id: 'run_ooo' }, occurredAt: at('2024-01-16T03:00:00.000Z') });
        await sink().write([failed], signal());
        expect(await run('run_ooo')).toEqual([{ status: 'failed', event_id: 'persona:f', subject_name: 'Out of order' }]);
        expect(await count('webhook_events')).toBe(3);
      });

      it('breaks a tie on occurred_at in favour of the terminal status, whatever the arrival order', async () => {
        const same = '2024-01-16T02:00:00.000Z';
        for (const order of [
          ['started', 'succeeded'],
          ['succeeded', 'started'],
        ] as const) {
          const subject = { id: `run_tie_${order[0]}` };
          for (const status of order) {
            await sink().write([delivery({ id: `persona:${subject.id}:${status}`, status, subject, occurredAt: same })], signal());
          }
          expect((await run(subject.id))[0]?.status).toBe('succeeded');
        }
      });

      it('writes a batch in one statement: duplicates once, the same run twice ends at its latest event', async () => {
        const subject = { id: 'run_batch', name: 'Batch' };
        const batch = [
          delivery({ id: 'persona:b1', status: 'started', subject, occurredAt: '2024-01-16T01:00:00.000Z' }),
          delivery({ id: 'persona:b3', status: 'failed', subject, occurredAt: '2024-01-16T03:00:00.000Z' }),
          delivery({ id: 'persona:b2', status: 'running', subject, occurredAt: '2024-01-16T02:00:00.000Z' }),
          delivery({ id: 'persona:b3', status: 'failed', subject, occurredAt: '2024-01-16T03:00:00.000Z' }),
          delivery({ id: 'persona:other', status: 'succeeded', subject: { id: 'run_other' } }),
        ];
        await createDatabaseSink(db).write(batch, signal());
        expect(await count('webhook_events')).toBe(4);
        expect(await run('run_batch')).toEqual([{ status: 'failed', event_id: 'persona:b3', subject_name: 'Batch' }]);
        expect((await run('run_other'))[0]?.status).toBe('succeeded');

        // An older event for the run in a later batch does not move it back.
        await createDatabaseSink(db).write([delivery({ id: 'persona:b0', status: 'started', subject, occurredAt: '2024-01-16T00:00:00.000Z' })], signal());
        expect((await run('run_batch'))[0]?.event_id).toBe('persona:b3');
      });

      it('takes batches far beyond the 65,535 bind-parameter limit of a VALUES list', async () => {
        const batch = Array.from({ length: 5_000 }, (_, i) =>
          delivery({ id: `persona:bulk-${i}`, subject: { id: `run_bulk_${i % 100}` }, occurredAt: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, i)).toISOString() }),
        );
        await createDatabaseSink(db).write(batch, signal());
        expect(await count('webhook_events')).toBe(5_000);
        expect(await count('job_runs')).toBe(100);
        const { rows } = await db.query<{ event_id: string }>(`select event_id from job_runs where subject_id = 'run_bulk_7'`);
        expect(rows[0]?.event_id).toBe('persona:bulk-4907');
      });

      it('turns a data error into a permanent SinkError, and an abort into a retryable one', async () => {
        const bad = delivery({ id: 'persona:bad-date' });
        (bad.event as { occurredAt: string }).occurredAt = 'not a date';
        const error = await sink().write([bad], signal()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SinkError);
        expect(error).toMatchObject({ sink: 'database', retryable: false });
        expect((error as Error).message).toMatch(/22007|22008/);

        const aborted = await sink().write([delivery()], AbortSignal.abort()).catch((e: unknown) => e);
        expect(aborted).toMatchObject({ sink: 'database', retryable: true });
      });
    });

    describe('queries', () => {
      it('lists recent events and job runs, failures first', async () => {
        await createDatabaseSink(db).write(
          [
            delivery({ id: 'persona:q1', status: 'succeeded', subject: { id: 'q_ok' }, receivedAt: '2024-01-16T05:00:00.000Z', occurredAt: '2024-01-16T05:00:00.000Z' }),
            delivery({ id: 'persona:q2', status: 'failed', subject: { id: 'q_failed' }, receivedAt: '2024-01-16T04:00:00.000Z', occurredAt: '2024-01-16T04:00:00.000Z' }),
            delivery({ id: 'reachfive:q3', provider: 'reachfive', status: 'partial', subject: { id: 'q_partial' }, receivedAt: '2024-01-16T06:00:00.000Z', occurredAt: '2024-01-16T06:00:00.000Z' }),
          ],
          signal(),
        );
        expect((await recentEvents(db, { limit: 2 })).map((e) => e.id)).toEqual(['reachfive:q3', 'persona:q1']);
        expect((await recentEvents(db, { provider: 'persona', status: 'failed' })).map((e) => e.id)).toEqual(['persona:q2']);
        const runs = await jobRuns(db);
        expect(runs.map((r) => [r.subjectId, r.status])).toEqual([
          ['q_failed', 'failed'],
          ['q_partial', 'partial'],
          ['q_ok', 'succeeded'],
        ]);
        expect(runs[0]).toMatchObject({ provider: 'persona', eventId: 'persona:q2', occurredAt: '2024-01-16T04:00:00.000Z', errorMessage: 'Row 7: email is not valid' });
        expect(await jobRuns(db, { provider: 'reachfive' })).toHaveLength(1);
      });
    });
  });
});
