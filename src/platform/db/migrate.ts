import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

const FOLDER = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Migration files are named `<date-time>_<module>_<what>`, the date-time as `YYYYMMDDHHMM` (UTC) when
 * the migration was written, e.g. `202612041600_jobs.ts`: work done in parallel gets distinct names
 * without agreeing on a next number. The first four (`0001`…`0004`) keep their names, so databases that
 * applied them do not see them as new; they sort before every dated name.
 */
const NAME =
  /^(?:(000[1-4])|(\d{4})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])([0-5]\d))_[a-z0-9]+(?:_[a-z0-9]+)*$/;

/** Checks a migration's name (without its extension); returns a problem or undefined. */
export function migrationNameProblem(name: string): string | undefined {
  return NAME.test(name)
    ? undefined
    : `migration '${name}' is not named <YYYYMMDDHHMM>_<module>_<what> (UTC date-time of writing, lowercase words)`;
}

let found: Promise<Record<string, Migration>> | undefined;

/** Every file of the migrations folder (TypeScript under tsx, JavaScript once built), loaded once. */
function migrations(): Promise<Record<string, Migration>> {
  found ??= (async () => {
    const files = readdirSync(FOLDER).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'));
    const entries = await Promise.all(
      files.map(async (file) => {
        const name = file.replace(/\.(ts|js)$/, '');
        const problem = migrationNameProblem(name);
        if (problem) throw new Error(problem);
        const loaded = (await import(pathToFileURL(join(FOLDER, file)).href)) as Migration;
        if (typeof loaded.up !== 'function') throw new Error(`migration '${name}' exports no up()`);
        return [name, loaded] as const;
      }),
    );
    return Object.fromEntries(entries);
  })();
  return found;
}

const provider: MigrationProvider = { getMigrations: migrations };

/**
 * Forward-only migrations, in name order. Kysely's migrator takes a lock (a lock row inside a
 * transaction), so several replicas starting at once run each migration exactly once. A migration
 * written in parallel may arrive after a later-named one was applied: it is applied then
 * (`allowUnorderedMigrations`) rather than refused.
 */
function migrator(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider,
    migrationTableName: 'gantry_migrations',
    migrationLockTableName: 'gantry_migrations_lock',
    allowUnorderedMigrations: true,
  });
}

export interface MigrationReport {
  applied: string[];
  total: number;
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationReport> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    total: Object.keys(await migrations()).length,
  };
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsComplete(db: Kysely<any>): Promise<boolean> {
  const list = await migrator(db).getMigrations();
  return list.every((m) => m.executedAt !== undefined);
}
