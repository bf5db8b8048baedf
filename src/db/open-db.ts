import type { DatabaseConfig } from '../config/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from './db.ts';
import { migrate } from './migrations.ts';
import { createPgDb } from './pg-db.ts';

/** PostgreSQL when DATABASE_URL is set, else the embedded database; migrated before it is returned. */
export async function openDb(config: DatabaseConfig, logger?: Logger, options: { poolSize?: number } = {}): Promise<Db> {
  const db =
    config.kind === 'postgres'
      ? await createPgDb(config.url, { schema: config.schema, max: options.poolSize, logger })
      : // Loaded only when used: PGlite's WASM build is large, and workers in production never need it.
        await (await import('./pglite-db.ts')).createEmbeddedDb(config.dataDir);
  try {
    const { applied } = await migrate(db);
    // Never the URL: it may carry a password.
    logger?.info(
      config.kind === 'postgres'
        ? { database: 'postgres', schema: config.schema ?? 'default', migrationsApplied: applied }
        : { database: 'embedded', dataDir: config.dataDir, migrationsApplied: applied },
      'database ready',
    );
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
