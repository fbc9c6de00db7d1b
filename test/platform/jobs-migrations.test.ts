import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Migration, Migrator } from 'kysely';
import { openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest, migrationNameProblem } from '../../src/platform/db/migrate.js';
import * as m0001 from '../../src/platform/db/migrations/0001_instance.js';
import * as m0002 from '../../src/platform/db/migrations/0002_identity.js';
import * as m0003 from '../../src/platform/db/migrations/0003_data_keys.js';
import * as m0004 from '../../src/platform/db/migrations/0004_credentials.js';
import { freshDatabaseUrl, testEngines } from '../helpers/server.js';

const folder = fileURLToPath(new URL('../../src/platform/db/migrations/', import.meta.url));

describe('migration names', () => {
  it('are dated (or one of the first four), so parallel work cannot pick the same one', () => {
    for (const file of readdirSync(folder)) {
      assert.equal(migrationNameProblem(file.replace(/\.ts$/, '')), undefined, file);
    }
    assert.equal(migrationNameProblem('202612041600_jobs'), undefined);
    assert.equal(migrationNameProblem('202701311259_catalog_repositories'), undefined);
    assert.match(migrationNameProblem('0005_next') ?? '', /is not named/, 'no new plain numbers');
    assert.match(migrationNameProblem('202613011200_bad_month') ?? '', /is not named/);
    assert.match(migrationNameProblem('20261204_jobs') ?? '', /is not named/);
    assert.match(migrationNameProblem('202612041600_Jobs') ?? '', /is not named/);
  });
});

for (const engine of testEngines()) {
  describe(`migrating a database of an earlier release (${engine})`, () => {
    it('applies only what is new; the first four are not run again', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-migrations-'));
      const fresh = await freshDatabaseUrl(engine, dir);
      const database = openDatabase(fresh.url);
      try {
        // What a database migrated by the release before dated names holds.
        const earlier: Record<string, Migration> = {
          '0001_instance': m0001,
          '0002_identity': m0002,
          '0003_data_keys': m0003,
          '0004_credentials': m0004,
        };
        const old = new Migrator({
          db: database.db,
          provider: { getMigrations: async () => earlier },
          migrationTableName: 'gantry_migrations',
          migrationLockTableName: 'gantry_migrations_lock',
        });
        const { error } = await old.migrateToLatest();
        assert.equal(error, undefined);
        const report = await migrateToLatest(database.db);
        assert.ok(report.applied.length >= 1);
        assert.ok(
          report.applied.every((name) => /^\d{12}_/.test(name)),
          report.applied.join(', '),
        );
        assert.ok(report.applied.includes('202612041600_jobs'));
        assert.deepEqual((await migrateToLatest(database.db)).applied, []);
        await database.db.selectFrom('jobs').select('id').execute();
      } finally {
        await database.close();
        await fresh.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
