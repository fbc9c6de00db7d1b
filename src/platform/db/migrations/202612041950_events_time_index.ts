import type { Kysely } from 'kysely';

/**
 * The hourly retention job deletes events older than a cut-off across every organization: an index on
 * the time alone lets it find them without reading the whole table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('events_time').on('events').column('timestamp_ms').execute();
}
