import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m0001 from './migrations/0001_instance.js';
import * as m0002 from './migrations/0002_identity.js';
import * as m0003 from './migrations/0003_data_keys.js';
import * as m0004 from './migrations/0004_credentials.js';
import * as m0005 from './migrations/0005_builtin_vault.js';
import * as m0006 from './migrations/0006_api_key_lifetime.js';
import * as m0007 from './migrations/0007_one_default_backend.js';

/**
 * Forward-only migrations, in order. Kysely's migrator takes a lock (a lock row inside a transaction),
 * so several replicas starting at once run each migration exactly once.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001_instance': m0001,
  '0002_identity': m0002,
  '0003_data_keys': m0003,
  '0004_credentials': m0004,
  '0005_builtin_vault': m0005,
  '0006_api_key_lifetime': m0006,
  '0007_one_default_backend': m0007,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export interface MigrationReport {
  applied: string[];
  total: number;
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationReport> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'gantry_migrations',
    migrationLockTableName: 'gantry_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    total: Object.keys(MIGRATIONS).length,
  };
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsComplete(db: Kysely<any>): Promise<boolean> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'gantry_migrations',
    migrationLockTableName: 'gantry_migrations_lock',
  });
  const list = await migrator.getMigrations();
  return list.every((m) => m.executedAt !== undefined);
}
