import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startPrivateRedis, type StartedService } from '../../test/support/services.ts';
import type { BenchChild } from './child.ts';
import type { DbTarget } from './env.ts';

/** Answers "how many rows" and "which of these keys are rows yet" for one database target. */
export interface DbProbe {
  count(): Promise<number>;
  visible(keys: readonly string[]): Promise<string[]>;
}

export type Backends = {
  redisUrl: string;
  redisVersion: string;
  redisPid: number | undefined;
  /** The orchestrator's own connection to the private Redis. */
  admin: Redis;
  /** Empties the private Redis between scenarios (synchronously: no background freeing during a run). */
  flush(): Promise<void>;
  /**
   * Waits until Redis stops changing: when a load run ends, requests already read by the ingress are
   * still being stored, and a flush before they land would leave strays in the next scenario.
   */
  settle(): Promise<void>;
  database: DatabaseBackend;
  stop(): Promise<void>;
};

export interface DatabaseBackend {
  readonly kind: DbTarget['kind'];
  readonly description: string;
  /** A fresh, empty place for the rows of one scenario. */
  newTarget(): DbTarget;
  /** `worker` answers the queries for the embedded database, which only its own process can open. */
  probe(target: DbTarget, worker: BenchChild): DbProbe;
  cleanup(): Promise<void>;
}

export async function startBackends(runId: string): Promise<Backends> {
  const redis: StartedService = await startPrivateRedis();
  const admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  const info = await admin.info('server');
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined;
  const database = (await postgresBackend(runId)) ?? embeddedBackend();
  return {
    redisUrl: redis.url,
    redisVersion,
    redisPid,
    admin,
    async flush() {
      await admin.flushall('SYNC');
    },
    async settle() {
      const deadline = Date.now() + 5_000;
      let last = -1;
      while (Date.now() < deadline) {
        const ops = Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))?.[1] ?? 0);
        // Our own INFO is one command per poll.
        if (last >= 0 && ops - last <= 1) return;
        last = ops;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    database,
    async stop() {
      await database.cleanup();
      admin.disconnect();
      await redis.stop();
    },
  };
}

async function postgresBackend(runId: string): Promise<DatabaseBackend | undefined> {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let version: string;
  try {
    const result = await pool.query<{ version: string }>('select version() as version');
    version = /^PostgreSQL [\d.]+/.exec(result.rows[0]?.version ?? '')?.[0] ?? 'PostgreSQL';
  } catch {
    await pool.end().catch(() => undefined);
    return undefined;
  }
  const schemas: string[] = [];
  return {
    kind: 'postgres',
    description: `${version} (${new URL(url).host}, a fresh schema per scenario)`,
    newTarget() {
      const schema = `bench_${runId}_${schemas.length}`;
      schemas.push(schema);
      return { kind: 'postgres', url, schema };
    },
    probe(target) {
      if (target.kind !== 'postgres') throw new Error('a PostgreSQL probe needs a PostgreSQL target');
      const table = `"${target.schema}".webhook_events`;
      return {
        async count() {
          const result = await pool.query<{ n: number }>(`select count(*)::int as n from ${table}`);
          return result.rows[0]?.n ?? 0;
        },
        async visible(keys) {
          const result = await pool.query<{ id: string }>(`select id from ${table} where id = any($1::text[])`, [keys]);
          return result.rows.map((row) => row.id);
        },
      };
    },
    async cleanup() {
      for (const schema of schemas) await pool.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
      await pool.end();
    },
  };
}

function embeddedBackend(): DatabaseBackend {
  const dirs: string[] = [];
  let queryId = 0;
  return {
    kind: 'embedded',
    description: 'embedded PGlite (no PostgreSQL reachable; rows counted through the worker process)',
    newTarget() {
      const dataDir = mkdtempSync(join(tmpdir(), 'hookline-bench-db-'));
      dirs.push(dataDir);
      return { kind: 'embedded', dataDir };
    },
    probe(_target, worker) {
      const ask = async (text: string, params: unknown[]) => {
        const id = ++queryId;
        worker.send({ type: 'query', id, text, params });
        const answer = await worker.waitFor('queryResult', 30_000);
        if (answer.error) throw new Error(answer.error);
        return answer.rows;
      };
      return {
        async count() {
          const rows = await ask('select count(*)::int as n from webhook_events', []);
          return Number(rows[0]?.n ?? 0);
        },
        async visible(keys) {
          const rows = await ask('select id from webhook_events where id = any($1::text[])', [keys]);
          return rows.map((row) => String(row.id));
        },
      };
    },
    async cleanup() {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function newRunId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 8);
}
