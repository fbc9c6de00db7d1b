import type { Kysely } from 'kysely';

/**
 * Sessions ended by a logout before their tokens expire. A session is the chain of tokens from one
 * login (the `sid` claim, kept by refreshes); a row is needed only until the session would have ended
 * anyway (its maximum age), after which the hourly prune removes it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('revoked_sessions')
    .addColumn('session_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('revoked_sessions_expiry').on('revoked_sessions').column('expires_at').execute();
  await db.schema.createIndex('revoked_sessions_user').on('revoked_sessions').column('user_id').execute();
}
