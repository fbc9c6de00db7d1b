import type { Kysely } from 'kysely';
import { withId } from '../columns.js';

/**
 * Infrastructure policies: Rego source checked on Terraform plans (docs/infra-policies.md). The body is
 * stored as written; it was compiled before it was saved, so a stored policy always parses.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('infra_policies'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('severity', 'varchar(20)', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('owner_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('infra_policies_org_canonical', ['organization_id', 'canonical'])
    .execute();
  // Validation reads the enabled policies of one organization on every plan.
  await db.schema
    .createIndex('infra_policies_org_enabled')
    .on('infra_policies')
    .columns(['organization_id', 'enabled'])
    .execute();
}
