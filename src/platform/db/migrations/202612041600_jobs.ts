import { type Kysely, sql } from 'kysely';
import { engineOf } from '../database.js';

/**
 * Background jobs (platform/jobs): the queue, the periodic schedules and the registered workers. Times
 * are milliseconds since the epoch: wake-ups aim at well under a second.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  const postgres = engineOf(db) === 'postgres';
  await s
    .createTable('jobs')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('kind', 'varchar(100)', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('key', 'varchar(200)')
    .addColumn('state', 'varchar(10)', (c) => c.notNull())
    .addColumn('run_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('locked_by', 'varchar(200)')
    .addColumn('locked_until_ms', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_at_ms', 'bigint')
    .execute();
  await s.createIndex('jobs_due').on('jobs').columns(['state', 'run_at_ms']).execute();
  await s.createIndex('jobs_leases').on('jobs').columns(['state', 'locked_until_ms']).execute();
  // A key names a job that should wait only once: a second enqueue while one is pending is dropped.
  await s
    .createIndex('jobs_pending_key')
    .on('jobs')
    .columns(['kind', 'key'])
    .unique()
    .where(sql.ref('state'), '=', 'pending')
    .where(sql.ref('key'), 'is not', null)
    .execute();

  await s
    .createTable('job_schedules')
    .addColumn('name', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(100)', (c) => c.notNull())
    .addColumn('every_ms', 'bigint', (c) => c.notNull())
    .addColumn('next_run_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_run_at_ms', 'bigint')
    .addColumn('last_run_by', 'varchar(200)')
    .execute();

  await s
    .createTable('workers')
    .addColumn('name', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('kinds', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(10)', (c) => c.notNull())
    .addColumn('started_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}
