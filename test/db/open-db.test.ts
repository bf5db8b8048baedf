import { spawnSync } from 'node:child_process';
import { MIGRATIONS } from '../../src/db/migrations.ts';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Db } from '../../src/db/db.ts';
import { acquireLockFile, LockHeldError } from '../../src/db/lock-file.ts';
import { openDb } from '../../src/db/open-db.ts';
import { createPgDb } from '../../src/db/pg-db.ts';
import { createDatabaseSink } from '../../src/sinks/database.ts';
import { sampleEvent, sampleRaw } from '../sinks/sample-event.ts';

const databaseUrl = inject('databaseUrl');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-db-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('embedded database on disk', () => {
  it('persists across openings and refuses a second opener while one holds it', async () => {
    const dataDir = tempDir();
    const first = await openDb({ kind: 'embedded', dataDir });
    cleanups.push(() => first.close());
    const event = sampleEvent();
    await createDatabaseSink(first).write([{ event, raw: sampleRaw(event) }], AbortSignal.timeout(10_000));

    const second = await openDb({ kind: 'embedded', dataDir }).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(LockHeldError);
    expect((second as Error).message).toMatch(/one process only.*DATABASE_URL/s);
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(true);

    await first.close();
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    const again = await openDb({ kind: 'embedded', dataDir });
    cleanups.push(() => again.close());
    const { rows } = await again.query<{ id: string }>('select id from webhook_events');
    expect(rows).toEqual([{ id: event.id }]);
  });
});

describe('lock file', () => {
  const lockIn = (dir: string) => join(dir, 'pglite.lock');
  const write = (path: string, holder: object, ageMs = 0) => {
    writeFileSync(path, JSON.stringify(holder));
    const when = new Date(Date.now() - ageMs);
    utimesSync(path, when, when);
  };

  it('takes over a lock whose process is dead', async () => {
    const path = lockIn(tempDir());
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    write(path, { pid: Number(child.stdout), hostname: hostname(), startedAt: '' });
    const lock = await acquireLockFile(path);
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a lock left by an earlier process with our own pid (a restarted container)', async () => {
    const path = lockIn(tempDir());
    write(path, { pid: process.pid, hostname: hostname(), startedAt: '' });
    const lock = await acquireLockFile(path);
    await lock.release();
  });

  it('refuses a fresh lock from another host, and takes it once its heartbeat is stale', async () => {
    const path = lockIn(tempDir());
    write(path, { pid: 1, hostname: `elsewhere-${randomUUID()}`, startedAt: '' });
    await expect(acquireLockFile(path, { advice: 'Set DATABASE_URL.' })).rejects.toThrow(/held by process 1 on elsewhere-.*Set DATABASE_URL/);
    write(path, { pid: 1, hostname: 'elsewhere', startedAt: '' }, 60_000);
    const lock = await acquireLockFile(path, { staleAfterMs: 30_000 });
    await lock.release();
  });

  it('keeps its heartbeat while held', async () => {
    const path = lockIn(tempDir());
    const lock = await acquireLockFile(path, { heartbeatMs: 20, staleAfterMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Our pid, held by this process, heartbeat fresh: refused.
    await expect(acquireLockFile(path, { staleAfterMs: 200 })).rejects.toBeInstanceOf(LockHeldError);
    await lock.release();
  });
});

describe.skipIf(!databaseUrl)('PostgreSQL', () => {
  it('lets two processes create the same new schema and migrate it at once', async () => {
    const schema = `t_open_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const config = { kind: 'postgres', url: databaseUrl, schema } as const;
    const dbs: Db[] = await Promise.all([openDb(config), openDb(config), openDb(config)]);
    cleanups.push(async () => {
      await dbs[0]?.query(`drop schema ${schema} cascade`);
      await Promise.all(dbs.map((db) => db.close()));
    });
    const { rows } = await dbs[1]!.query<{ n: string }>('select count(*) as n from schema_migrations');
    expect(Number(rows[0]?.n)).toBe(MIGRATIONS.length);
    const { rows: where } = await dbs[2]!.query<{ schema: string }>(`select table_schema as schema from information_schema.tables where table_name = 'job_runs' and table_schema = $1`, [schema]);
    expect(where).toHaveLength(1);
  });

  it('bounds every statement, and lets a transaction such as a migration ask for longer', async () => {
    const db = await createPgDb(databaseUrl);
    cleanups.push(() => db.close());
    expect((await db.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]?.statement_timeout).toBe('10s');
    const inside = await db.transaction((tx) => tx.query<{ lock_timeout: string }>('show lock_timeout'), { timeoutMs: 600_000 });
    expect(inside.rows[0]?.lock_timeout).toBe('10min');
  });

  it('reports an unreachable server as a retryable SinkError without the password', async () => {
    const db = await createPgDb('postgres://hookline:s3cret-pw@127.0.0.1:1/none');
    cleanups.push(() => db.close());
    const event = sampleEvent();
    const error = await createDatabaseSink(db)
      .write([{ event, raw: sampleRaw(event) }], AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SinkError', sink: 'database', retryable: true });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
