import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Kysely, Migrator } from 'kysely';
import { type DatabaseHandle, engineOf, openDatabase } from '../../src/platform/db/database.js';
import { translateDatabaseError } from '../../src/platform/db/errors.js';
import { migrateToLatest, migrationsComplete } from '../../src/platform/db/migrate.js';
import { freshDatabaseUrl, testEngines } from '../helpers/server.js';

for (const engine of testEngines()) {
  describe(`database layer (${engine})`, () => {
    let database: DatabaseHandle;
    let drop: () => Promise<void>;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gantry-db-'));
      const fresh = await freshDatabaseUrl(engine, dir);
      drop = fresh.drop;
      database = openDatabase(fresh.url);
    });
    after(async () => {
      await database.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a migration that fails half-way leaves the database as it was, and is not recorded', async () => {
      const scratch = mkdtempSync(join(tmpdir(), 'gantry-db-atomic-'));
      const fresh = await freshDatabaseUrl(engine, scratch);
      const other = openDatabase(fresh.url);
      try {
        const migrator = new Migrator({
          db: other.db,
          migrationTableName: 'gantry_migrations',
          migrationLockTableName: 'gantry_migrations_lock',
          provider: {
            getMigrations: async () => ({
              '0001_half_way': {
                up: async (db: Kysely<any>) => {
                  await db.schema.createTable('half_made').addColumn('id', 'integer').execute();
                  await db.insertInto('half_made').values({ id: 1 }).execute();
                  throw new Error('killed here');
                },
              },
            }),
          },
        });
        const { error } = await migrator.migrateToLatest();
        assert.match(String(error), /killed here/);
        const tables = await other.db.introspection.getTables();
        assert.ok(!tables.some((t) => t.name === 'half_made'), 'the table made before the failure is gone');
        const recorded = tables.some((t) => t.name === 'gantry_migrations')
          ? await other.db
              .selectFrom('gantry_migrations' as any)
              .selectAll()
              .execute()
          : [];
        assert.deepEqual(recorded, []);
      } finally {
        await other.close();
        await fresh.drop();
        rmSync(scratch, { recursive: true, force: true });
      }
    });

    it('detects its engine', () => {
      assert.equal(database.engine, engine);
      assert.equal(engineOf(database.db), engine);
    });

    it('migrates forward once; a second run and concurrent runs apply nothing twice', async () => {
      assert.equal(await migrationsComplete(database.db).catch(() => false), false);
      const [first, second] = await Promise.all([migrateToLatest(database.db), migrateToLatest(database.db)]);
      assert.equal(first.applied.length + second.applied.length, first.total);
      assert.deepEqual((await migrateToLatest(database.db)).applied, []);
      assert.equal(await migrationsComplete(database.db), true);
    });

    it('maps a unique violation to a 409 Conflict without driver text', async () => {
      const row = { key: 'install-id', value: 'a', updated_at: 1 };
      await database.db.insertInto('instance_settings').values(row).execute();
      const error = await database.db
        .insertInto('instance_settings')
        .values(row)
        .execute()
        .catch((e) => e);
      const mapped = translateDatabaseError(error);
      assert.ok(mapped, `not translated: ${error}`);
      assert.equal(mapped.status, 409);
      assert.equal(mapped.code, 'Conflict');
      assert.doesNotMatch(mapped.message, /constraint|SQLITE|duplicate key/i);
      assert.equal(translateDatabaseError(new Error('connection reset')), undefined);
    });

    it('rolls a failed transaction back completely', async () => {
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('instance_settings')
            .values({ key: 'half-written', value: 'x', updated_at: 1 })
            .execute();
          throw new Error('second step failed');
        }),
        /second step failed/,
      );
      const found = await database.db
        .selectFrom('instance_settings')
        .selectAll()
        .where('key', '=', 'half-written')
        .execute();
      assert.deepEqual(found, []);
    });
  });
}
