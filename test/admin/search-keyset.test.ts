import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Db } from '../../src/db/db.ts';
import { containsPattern, searchEvents, searchRuns, type EventCursor, type RunCursor } from '../../src/db/event-search.ts';
import { migrate } from '../../src/db/migrations.ts';
import { createPgDb } from '../../src/db/pg-db.ts';
import { seriesRuns, runTimeline } from '../../src/db/run-history.ts';
import { eventsPerHour } from '../../src/db/status-charts.ts';
import { createTestSchema } from '../support/pipeline.ts';

/**
 * The search's SQL on PostgreSQL (with pg_trgm's indexes) and on the embedded database (without):
 * keyset pages visit every row once, in order, whatever the ties; filters and text search agree.
 */
const hasPostgres = inject('databaseUrl') !== '';

const FILL = `
insert into webhook_events (id, provider, type, category, status, subject_id, subject_name, parent_id, parent_name,
                            occurred_at, received_at, summary, event, raw)
select 'evt_' || i, (array['persona', 'primer'])[1 + i % 2], 't', 'import',
       (array['started', 'failed', 'succeeded'])[1 + i % 3], 'run_' || (i / 3), 'Run ' || (i / 3) || ' 100%_done',
       'wf_' || (i % 4), 'Workflow ' || (i % 4), $1::timestamptz + ((i / 5) || ' seconds')::interval,
       $1::timestamptz + ((i / 5) || ' seconds')::interval,
       'Event ' || i || case when i % 3 = 1 then ' failed: disk full' else '' end,
       case when i % 3 = 1 then '{"error": {"code": "E_DISK", "message": "No space left"}}'::jsonb else '{}'::jsonb end, '{}'::jsonb
from generate_series(0, 299) as g(i)`;

const RUNS = `
insert into job_runs (provider, subject_id, subject_name, parent_id, parent_name, category, type, status, status_rank,
                      occurred_at, received_at, event_id, summary, error_code, error_message)
select distinct on (provider, subject_id) provider, subject_id, subject_name, parent_id, parent_name, category, type, status, 0,
       occurred_at, received_at, id, summary, event #>> '{error,code}', event #>> '{error,message}'
from webhook_events order by provider, subject_id, occurred_at desc, id desc`;

const BASE = '2026-03-01T00:00:00.000Z';

describe.each([
  ['PostgreSQL', hasPostgres],
  ['the embedded database', true],
])('search on %s', (name, available) => {
  let db: Db;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (!available) return;
    if (name === 'PostgreSQL') {
      const schema = await createTestSchema();
      db = await createPgDb(schema.url, { schema: schema.schema });
      drop = schema.drop;
    } else {
      db = await (await import('../../src/db/pglite-db.ts')).createEmbeddedDb('memory://');
    }
    await migrate(db);
    await db.query(FILL, [BASE]);
    await db.query(RUNS);
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it.skipIf(!available)('pages through every event once, newest first, with no OFFSET, ties broken by key', async () => {
    const seen: string[] = [];
    let after: EventCursor | undefined;
    let pages = 0;
    do {
      const page = await searchEvents(db, {}, after, 7);
      seen.push(...page.items.map((event) => event.id));
      after = page.next;
      pages++;
    } while (after && pages < 100);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
    // Five events share each received_at: within a second, by id descending.
    const all = await db.query<{ id: string }>('select id from webhook_events order by received_at desc, id desc');
    expect(seen).toEqual(all.rows.map((row) => row.id));
  });

  it.skipIf(!available)('narrows by provider, status, key, subject or parent, error text and time, and pages the narrowed list', async () => {
    const failed = await searchEvents(db, { status: 'failed', provider: 'primer' }, undefined, 500);
    expect(failed.items.every((event) => event.status === 'failed' && event.provider === 'primer')).toBe(true);
    expect(failed.items).toHaveLength(50);
    const first = await searchEvents(db, { status: 'failed', provider: 'primer' }, undefined, 30);
    const rest = await searchEvents(db, { status: 'failed', provider: 'primer' }, first.next, 30);
    expect([...first.items, ...rest.items].map((e) => e.id)).toEqual(failed.items.map((e) => e.id));
    expect(rest.next).toBeUndefined();

    expect((await searchEvents(db, { key: 'evt_42' })).items.map((e) => e.id)).toEqual(['evt_42']);
    expect((await searchEvents(db, { who: 'run_42' })).items.map((e) => e.subjectId)).toEqual(['run_42', 'run_42', 'run_42']);
    expect((await searchEvents(db, { who: 'workflow 3' }, undefined, 500)).items).toHaveLength(75);
    expect((await searchEvents(db, { text: 'DISK FULL' }, undefined, 500)).items).toHaveLength(100);
    expect((await searchEvents(db, { text: 'no space' }, undefined, 500)).items).toHaveLength(100);
    // `%` and `_` typed are literal characters, not wildcards.
    expect(containsPattern('100%_d')).toBe('%100\\%\\_d%');
    expect((await searchEvents(db, { who: '100%_done' }, undefined, 500)).items).toHaveLength(300);
    expect((await searchEvents(db, { who: '100%xdone' }, undefined, 500)).items).toHaveLength(0);
    const window = await searchEvents(db, { since: new Date(Date.parse(BASE) + 10_000), until: new Date(Date.parse(BASE) + 20_000) }, undefined, 500);
    expect(window.items).toHaveLength(50);
  });

  it.skipIf(!available)('pages through every run once, and finds a series’ runs and a run’s timeline', async () => {
    const seen: string[] = [];
    let after: RunCursor | undefined;
    do {
      const page = await searchRuns(db, {}, after, 9);
      seen.push(...page.items.map((run) => `${run.provider}/${run.subjectId}`));
      after = page.next;
    } while (after);
    const runs = await db.query<{ provider: string; subject_id: string }>('select provider, subject_id from job_runs');
    expect(new Set(seen).size).toBe(runs.rowCount);
    expect(seen).toHaveLength(runs.rowCount);
    const primer: string[] = [];
    let next: RunCursor | undefined;
    do {
      const page = await searchRuns(db, { provider: 'primer' }, next, 11);
      primer.push(...page.items.map((run) => run.subjectId));
      next = page.next;
    } while (next);
    expect(primer).toHaveLength(runs.rows.filter((row) => row.provider === 'primer').length);

    const timeline = await runTimeline(db, 'persona', 'run_2');
    expect(timeline.events.map((event) => event.id)).toEqual(['evt_6', 'evt_8']);
    const series = await seriesRuns(db, 'persona', 'wf_0', 500);
    expect(series.every((run) => run.parentId === 'wf_0')).toBe(true);
    expect(series.length).toBeGreaterThan(0);
    const hours = await eventsPerHour(db, new Date(BASE));
    expect(hours.reduce((sum, row) => sum + row.count, 0)).toBe(300);
  });
});

describe.skipIf(!hasPostgres)('migration 4 on PostgreSQL', () => {
  it('builds trigram indexes when pg_trgm can be had, in every schema, sharing one extension', async () => {
    const schemas = await Promise.all([createTestSchema(), createTestSchema()]);
    try {
      for (const schema of schemas) {
        const db = await createPgDb(schema.url, { schema: schema.schema });
        await migrate(db);
        const { rows } = await db.query<{ indexname: string }>(
          `select indexname from pg_indexes where schemaname = $1 and indexname like '%trgm%' order by 1`,
          [schema.schema],
        );
        const available = await db.query(`select 1 from pg_available_extensions where name = 'pg_trgm'`);
        expect(rows.map((row) => row.indexname)).toEqual(
          available.rowCount > 0 ? ['job_runs_error_trgm_idx', 'job_runs_who_trgm_idx', 'webhook_events_error_trgm_idx', 'webhook_events_who_trgm_idx'] : [],
        );
        await db.close();
      }
    } finally {
      await Promise.all(schemas.map((schema) => schema.drop()));
    }
  });
});
