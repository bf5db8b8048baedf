import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { createTestSchema, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { sendSigned } from '../support/signing.ts';

/**
 * The database is written while normalizing, batched across concurrent jobs; a write that fails
 * sends the event to the database's own queue. Real PostgreSQL refuses rows here through triggers.
 */
const databaseUrl = inject('databaseUrl');

let schema: Awaited<ReturnType<typeof createTestSchema>>;
let p: TestPipeline;

beforeEach(async () => {
  if (!databaseUrl) return;
  schema = await createTestSchema();
  p = await startTestPipeline({ DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema });
});
afterEach(async () => {
  if (!databaseUrl) return;
  await p.close();
  await schema.drop();
});

function reachfiveExport(id: string): string {
  return JSON.stringify({ ...JSON.parse(fixture('reachfive', 'export.failure')), id });
}

async function rowIds(): Promise<string[]> {
  const { rows } = await p.db.query<{ id: string }>('select id from webhook_events order by id');
  return rows.map((row) => row.id);
}

describe.skipIf(!databaseUrl)('database written in place, its queue as the fallback', () => {
  it('writes events without a database delivery job when the write succeeds', async () => {
    for (const id of ['a1', 'a2', 'a3']) expect((await sendSigned(p.baseUrl, 'reachfive', reachfiveExport(id))).status).toBe(202);
    await waitFor(async () => (await rowIds()).length === 3);
    expect(await p.queues.database.getJobCounts('waiting', 'completed', 'failed', 'delayed')).toEqual({
      waiting: 0,
      completed: 0,
      failed: 0,
      delayed: 0,
    });
    const completed = await p.queues.ingest.getCompleted();
    expect(completed.map((job) => job.returnvalue?.writtenInPlace)).toEqual(['database', 'database', 'database']);
  });

  it('dead-letters only the event the database refuses; its batch neighbours are written', async () => {
    await p.db.query(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.subject_id = 'poison' then raise exception 'poisoned row' using errcode = '23514'; end if;
        return new;
      end $$;
      create trigger refuse_poison before insert on webhook_events for each row execute function refuse_poison();`);
    const ids = ['b1', 'b2', 'poison', 'b3', 'b4'];
    const answers = await Promise.all(ids.map((id) => sendSigned(p.baseUrl, 'reachfive', reachfiveExport(id))));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);

    const dead = await waitFor(async () => (await p.queues.database.getFailed())[0]);
    expect(dead.data.event.subject.id).toBe('poison');
    expect(dead.failedReason).toMatch(/23514/);
    expect(dead.attemptsMade).toBe(1);
    await waitFor(async () => (await rowIds()).length === 4);
    expect(await rowIds()).toEqual(['reachfive:b1', 'reachfive:b2', 'reachfive:b3', 'reachfive:b4']);
  });

  it('retries a write that failed for a passing reason through the database queue, once', async () => {
    // A sequence is not rolled back with the failed statement: the first write fails, later ones pass.
    await p.db.query(`
      create sequence write_attempts;
      create function fail_first_write() returns trigger language plpgsql as $$
      begin
        if nextval('write_attempts') = 1 then raise exception 'try again' using errcode = '40001'; end if;
        return new;
      end $$;
      create trigger fail_first_write before insert on webhook_events for each row execute function fail_first_write();`);
    expect((await sendSigned(p.baseUrl, 'reachfive', reachfiveExport('c1'))).status).toBe(202);
    await waitFor(async () => (await rowIds()).length === 1, 20_000);
    const [delivered] = await waitFor(async () => {
      const jobs = await p.queues.database.getCompleted();
      return jobs.length > 0 ? jobs : undefined;
    });
    expect(delivered?.data.event.id).toBe('reachfive:c1');
    expect(await p.queues.database.getFailedCount()).toBe(0);
    expect(await rowIds()).toEqual(['reachfive:c1']);
  });
});
