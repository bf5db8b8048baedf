/**
 * The status page's search, keyset pages and charts on a million events:
 *
 *   npx tsx bench/million-rows.ts [--rows 1000000] [--keep]
 *
 * Fills a fresh schema of BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) with
 * generate_series (events of 4 stages per run, so rows / 4 job_runs), builds migration 4's indexes
 * on the filled tables, then times each query the status page sends, through the page's own
 * functions. Prints a markdown table and keeps it (and the JSON) in bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import type { Queryable, QueryResult } from '../src/db/db.ts';
import { MIGRATIONS, migrate } from '../src/db/migrations.ts';
import { createPgDb } from '../src/db/pg-db.ts';
import { searchEvents, searchRuns, type EventCursor, type RunCursor, type SearchFilter } from '../src/db/event-search.ts';
import { runTimeline, seriesRuns } from '../src/db/run-history.ts';
import { databaseLatency, eventsPerHour } from '../src/db/status-charts.ts';
import { listIncidents } from '../src/db/incidents.ts';

const args = process.argv.slice(2);
const ROWS = Number(args[args.indexOf('--rows') + 1] && args.includes('--rows') ? args[args.indexOf('--rows') + 1] : 1_000_000);
const KEEP = args.includes('--keep');
const URL_ = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `bench_million_${Date.now().toString(36)}`;
const REPEATS = 7;
const SERIES = 2_000;

const FILL_EVENTS = `
insert into webhook_events (id, provider, type, category, status, subject_id, subject_name, parent_id, parent_name,
                            occurred_at, received_at, summary, event, raw, stored_at)
select 'evt_' || i, p.provider, 'run.' || s.status, 'import', s.status, 'run_' || r, 'Import batch ' || r,
       'wf_' || (r % ${SERIES}), 'Workflow ' || (r % ${SERIES}) || ' nightly sync',
       t.at - interval '2 seconds', t.at,
       case when s.status in ('failed', 'partial')
            then 'Workflow ' || (r % ${SERIES}) || ' ' || s.status || ': ' || m.message
            else 'Workflow ' || (r % ${SERIES}) || ' ' || s.status end,
       case when s.status in ('failed', 'partial')
            then jsonb_build_object('error', jsonb_build_object('code', m.code, 'message', m.message))
            else '{}'::jsonb end,
       '{}'::jsonb,
       t.at + (((i::bigint * 7919) % 2000) || ' milliseconds')::interval
from generate_series(0, $1::int - 1) as g(i)
cross join lateral (select i / 4 as r, i % 4 as stage) as k
cross join lateral (select (array['persona', 'personaclick', 'primer', 'plextera', 'reachfive'])[1 + r % 5] as provider) as p
cross join lateral (
  select case stage when 0 then 'started' when 1 then 'paused' when 2 then 'resumed'
         else (array['failed', 'succeeded', 'succeeded', 'succeeded', 'partial', 'succeeded', 'succeeded', 'failed', 'succeeded', 'canceled'])[1 + (r / 5) % 10] end as status
) as s
cross join lateral (
  select (array['PAYMENT_NOT_FOUND', 'TIMEOUT', 'RATE_LIMITED', 'INVALID_ROW', 'AUTH_EXPIRED'])[1 + (r / 50) % 5] as code,
         (array['Payment ID ' || r || ' not found', 'Upstream timed out after 30 s', 'Rate limited by the API',
                 'Row ' || (r % 977) || ' has an invalid e-mail address', 'Access token expired'])[1 + (r / 50) % 5] as message
) as m
cross join lateral (
  -- Runs newest first, a run's stages in order, about 2.6 s apart over 30 days; microseconds of jitter against ties.
  select now() - ((r * 4 + 3 - stage) * 2.592 || ' seconds')::interval - ((i * 37) % 1000 || ' microseconds')::interval as at
) as t`;

const FILL_RUNS = `
insert into job_runs (provider, subject_id, subject_name, parent_id, parent_name, category, type, status, status_rank,
                      occurred_at, received_at, event_id, summary, error_code, error_message)
select distinct on (provider, subject_id)
       provider, subject_id, subject_name, parent_id, parent_name, category, type, status, 0,
       occurred_at, received_at, id, summary, event #>> '{error,code}', event #>> '{error,message}'
from webhook_events
order by provider, subject_id, occurred_at desc`;

const FILL_INCIDENTS = `
insert into incidents (provider, series_id, series_name, kind, opened_at, resolved_at, runs_failed, first_event_id, last_event_id, last_failed_at)
select (array['persona', 'personaclick', 'primer', 'plextera', 'reachfive'])[1 + n % 5], 'wf_' || n, 'Workflow ' || n || ' nightly sync',
       'failing', now() - (n || ' hours')::interval, case when n % 10 = 0 then null else now() - (n || ' minutes')::interval end,
       3, 'evt_' || (n * 4 + 3), 'evt_' || (n * 4 + 3), now() - (n || ' hours')::interval
from generate_series(0, ${SERIES} - 1) as g(n)`;

type Timing = { query: string; rows: number; medianMs: number; maxMs: number; plan: string };

/** Records the last statement sent, to EXPLAIN exactly what the page's function sent. */
class Recorder implements Queryable {
  last: { text: string; params: readonly unknown[] } | undefined;
  private readonly inner: Queryable;
  constructor(inner: Queryable) {
    this.inner = inner;
  }
  query<Row extends Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    this.last = { text, params };
    return this.inner.query<Row>(text, params);
  }
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  const trigram = (await admin.query(`select count(*)::int as n from pg_available_extensions where name = 'pg_trgm'`)).rows[0].n > 0;
  const db = await createPgDb(URL_, { schema: SCHEMA, max: 2 });
  const fill = new pg.Client({ connectionString: URL_, options: `-c search_path=${SCHEMA}` });
  await fill.connect();
  const setup: Array<[string, number]> = [];
  const step = async (what: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    setup.push([what, Math.round(performance.now() - started)]);
    console.log(`${what}: ${Math.round(performance.now() - started)} ms`);
  };
  try {
    await step('migrations 1–3 (empty tables)', () => migrate(db, MIGRATIONS.filter((m) => m.version < 4)));
    await step(`fill ${ROWS.toLocaleString('en')} webhook_events`, () => fill.query(FILL_EVENTS, [ROWS]));
    await step('fill job_runs (each run’s latest event)', () => fill.query(FILL_RUNS));
    await step('fill incidents', () => fill.query(FILL_INCIDENTS));
    await step('migration 4 (indexes built on the filled tables)', () => migrate(db));
    await step('vacuum analyze', () => fill.query('vacuum analyze'));
    const counts = (await fill.query(`select (select count(*) from webhook_events)::int as events, (select count(*) from job_runs)::int as runs`)).rows[0];
    const indexes = (await fill.query(`select indexname from pg_indexes where schemaname = $1 and indexname like '%trgm%'`, [SCHEMA])).rows.map((r) => r.indexname as string);

    const recorder = new Recorder(db);
    const timings: Timing[] = [];
    const time = async (query: string, run: () => Promise<number>) => {
      await run(); // warm-up: the figures are of a warm cache, as a page in use is
      const ms: number[] = [];
      let rows = 0;
      for (let i = 0; i < REPEATS; i++) {
        const started = performance.now();
        rows = await run();
        ms.push(performance.now() - started);
      }
      const last = recorder.last;
      const plan = last ? await planOf(fill, last.text, last.params) : '';
      ms.sort((a, b) => a - b);
      timings.push({ query, rows, medianMs: round(ms[Math.floor(ms.length / 2)]!), maxMs: round(ms[ms.length - 1]!), plan });
      console.log(`${query}: ${round(ms[Math.floor(ms.length / 2)]!)} ms (${rows} rows) — ${plan}`);
    };
    const events = (filter: SearchFilter, after?: EventCursor) => async () => (await searchEvents(recorder, filter, after)).items.length;
    const runs = (filter: SearchFilter, after?: RunCursor) => async () => (await searchRuns(recorder, filter, after)).items.length;

    // The cursors of deep pages are found once with OFFSET, here only: the page never uses it.
    const deepEvent = (await fill.query(
      `select to_char(received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id from webhook_events order by received_at desc, id desc offset $1 limit 1`,
      [Math.floor(ROWS * 0.9)],
    )).rows[0] as EventCursor;
    const deepFailed = (await fill.query(
      `select to_char(received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id from webhook_events where status = 'failed' order by received_at desc, id desc offset $1 limit 1`,
      [Math.floor(ROWS * 0.045)],
    )).rows[0] as EventCursor;
    const deepRun = (await fill.query(
      `select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, provider, subject_id as "subjectId" from job_runs order by occurred_at desc, provider desc, subject_id desc offset $1 limit 1`,
      [Math.floor((ROWS / 4) * 0.9)],
    )).rows[0] as RunCursor;
    const day = new Date(Date.now() - 86_400_000);
    const halfDay = new Date(Date.now() - 43_200_000);
    const week = new Date(Date.now() - 7 * 86_400_000);
    const middleRun = Math.floor(ROWS / 8);
    // A run that failed with the first message: (r / 5) % 10 = 0 and (r / 50) % 5 = 0.
    const rareFailure = Math.floor(middleRun / 250) * 250;

    await time('events: first page', events({}));
    await time(`events: deep page (keyset after ${Math.floor(ROWS * 0.9).toLocaleString('en')} rows)`, events({}, deepEvent));
    await time('events: provider = primer', events({ provider: 'primer' }));
    await time('events: status = failed', events({ status: 'failed' }));
    await time('events: provider + status', events({ provider: 'plextera', status: 'partial' }));
    await time(`events: status = failed, deep page (after ${Math.floor(ROWS * 0.045).toLocaleString('en')} failures)`, events({ status: 'failed' }, deepFailed));
    await time('events: event key', events({ key: `evt_${middleRun * 4 + 1}` }));
    await time('events: subject id (rare)', events({ who: `run_${middleRun}` }));
    await time('events: parent name (a series: 500 events)', events({ who: 'Workflow 1234 nightly' }));
    await time('events: error text (rare: one run)', events({ text: `Payment ID ${rareFailure} not found` }));
    await time('events: error text (common: 1 in 67 events)', events({ text: 'timed out' }));
    await time('events: error text, no match', events({ text: 'no such error anywhere' }));
    await time('events: time range (24 h → 12 h ago)', events({ since: day, until: halfDay }));
    await time('events: status + provider + error text + time range', events({ status: 'failed', provider: 'primer', text: 'invalid e-mail', since: week }));
    await time('runs: first page', runs({}));
    await time(`runs: deep page (keyset after ${Math.floor((ROWS / 4) * 0.9).toLocaleString('en')} runs)`, runs({}, deepRun));
    await time('runs: status = failed', runs({ status: 'failed' }));
    await time('runs: provider = reachfive', runs({ provider: 'reachfive' }));
    await time('runs: subject or parent (rare)', runs({ who: `run_${middleRun}` }));
    await time('runs: error text (common)', runs({ text: 'rate limited' }));
    await time('run page: timeline', async () => (await runTimeline(recorder, 'plextera', `run_${middleRun - (middleRun % 5) + 3}`)).events.length);
    await time('series page: 50 latest runs', async () => (await seriesRuns(recorder, 'persona', 'wf_1000', 50)).length);
    await time('series page: incidents', async () => (await listIncidents(recorder, { provider: 'persona', seriesId: 'wf_1000' })).length);
    await time('chart: events per hour, 24 h', async () => (await eventsPerHour(recorder, day)).length);
    await time('chart: events per hour, 7 days', async () => (await eventsPerHour(recorder, week)).length);
    await time('chart: database latency, 24 h', async () => (await databaseLatency(recorder, day)).samples);
    await time('chart: database latency, 7 days', async () => (await databaseLatency(recorder, week)).samples);

    const report = markdown(timings, setup, { events: counts.events as number, runs: counts.runs as number, trigram, indexes });
    console.log(`\n${report}`);
    const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
    const dir = new URL('./results/', import.meta.url).pathname;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}${stamp}-million-rows.md`, report);
    writeFileSync(`${dir}${stamp}-million-rows.json`, JSON.stringify({ rows: counts, setup, timings, trigramIndexes: indexes }, null, 2));
    console.log(`kept in bench/results/${stamp}-million-rows.{md,json}`);
  } finally {
    await db.close();
    if (!KEEP) await fill.query(`drop schema ${SCHEMA} cascade`).catch(() => undefined);
    else console.log(`schema kept: ${SCHEMA}`);
    await fill.end();
    await admin.end();
  }
}

/** The plan's scans, e.g. "Index Scan using webhook_events_received_id_idx", without running it again. */
async function planOf(client: pg.Client, text: string, params: readonly unknown[]): Promise<string> {
  const { rows } = await client.query(`explain ${text}`, [...params]);
  const lines = rows.map((row) => String(row['QUERY PLAN']));
  const scans = lines
    .map((line) => /((?:Parallel )?(?:Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index Scan|Seq Scan)(?: Backward)?) (?:using |on )(\w+)/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `${match[1]} ${match[2]}`);
  return [...new Set(scans)].join('; ');
}

function markdown(timings: Timing[], setup: Array<[string, number]>, info: { events: number; runs: number; trigram: boolean; indexes: string[] }): string {
  const lines = [
    `### Status page on ${info.events.toLocaleString('en')} events, ${info.runs.toLocaleString('en')} runs`,
    '',
    `PostgreSQL, 2 shared cores; median and slowest of ${REPEATS} runs after a warm-up, 50 rows a page. ` +
      `Trigram indexes: ${info.indexes.length > 0 ? info.indexes.join(', ') : info.trigram ? 'none (not created)' : 'none (pg_trgm unavailable)'}.`,
    '',
    '| query | rows | median ms | max ms | plan |',
    '| --- | ---: | ---: | ---: | --- |',
    ...timings.map((t) => `| ${t.query} | ${t.rows} | ${t.medianMs} | ${t.maxMs} | ${t.plan} |`),
    '',
    '| setup step | ms |',
    '| --- | ---: |',
    ...setup.map(([what, ms]) => `| ${what} | ${ms.toLocaleString('en')} |`),
    '',
  ];
  return lines.join('\n');
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

await main();
