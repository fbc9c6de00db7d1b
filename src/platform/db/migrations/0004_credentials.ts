import type { Kysely } from 'kysely';
import { withId } from '../columns.js';

/**
 * Credentials (metadata in columns, the secret fields sealed in one value) and external backends.
 * A backend's credential link is SET NULL: deleting a credential in use is refused by the service unless
 * forced, and a forced delete leaves the backend without a credential rather than deleting it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await withId(db, s.createTable('credentials'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('type', 'varchar(20)', (c) => c.notNull())
    .addColumn('path', 'varchar(255)', (c) => c.notNull())
    .addColumn('keys', 'text', (c) => c.notNull())
    .addColumn('sealed_raw', 'text', (c) => c.notNull())
    .addColumn('owner_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('credentials_org_canonical', ['organization_id', 'canonical'])
    .addUniqueConstraint('credentials_org_path', ['organization_id', 'path'])
    .execute();

  await withId(db, s.createTable('external_backends'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('purpose', 'varchar(20)', (c) => c.notNull())
    .addColumn('engine', 'varchar(40)', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('credential_id', 'integer', (c) => c.references('credentials.id').onDelete('set null'))
    .addColumn('project_canonical', 'varchar(100)')
    .addColumn('environment_canonical', 'varchar(100)')
    .addColumn('component_canonical', 'varchar(100)')
    .addColumn('configuration', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await s
    .createIndex('external_backends_org_purpose')
    .on('external_backends')
    .columns(['organization_id', 'purpose'])
    .execute();
  await s.createIndex('external_backends_credential').on('external_backends').column('credential_id').execute();
}
