import type { Kysely } from 'kysely';

/**
 * The generation of an external backend's machine token: its tokens carry it, and only the current
 * one is accepted, so bumping it (a rotation) retires every token issued before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('external_backends')
    .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}
