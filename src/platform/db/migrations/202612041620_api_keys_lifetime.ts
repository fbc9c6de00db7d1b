import type { Kysely } from 'kysely';

/**
 * API keys that do not outlive what they stand for: an optional expiry, the time their owner left
 * (the key stops working until an admin gives it a new owner), and the key that created them (deleting
 * that key deletes them).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('expires_at', 'bigint').execute();
  await db.schema.alterTable('api_keys').addColumn('owner_gone_at', 'bigint').execute();
  await db.schema
    .alterTable('api_keys')
    .addColumn('created_by_key_id', 'integer', (c) => c.references('api_keys.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('api_keys_created_by_key').on('api_keys').column('created_by_key_id').execute();
  await db.schema.createIndex('api_keys_owner').on('api_keys').column('owner_user_id').execute();
}
