import type { Kysely } from 'kysely';
import { withId } from '../columns.js';

/** Data keys that seal secrets at rest, each stored wrapped (encrypted) by the master key. */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('data_keys'))
    .addColumn('wrapped', 'text', (c) => c.notNull())
    .addColumn('master_fingerprint', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('rewrapped_at', 'bigint')
    .execute();
}
