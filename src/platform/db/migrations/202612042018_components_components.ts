import type { Kysely } from 'kysely';
import { withId } from '../columns.js';

/**
 * Components: a stack's use case deployed in an environment of a project, with its form values.
 *
 * - Components cascade with their environment and project (deleting those is the caller's decision).
 * - The stack is a plain reference that becomes null when a catalog refresh drops the stack: the
 *   component keeps its `stack_ref` and stored values. Deleting a stack or catalog repository by
 *   hand is refused while components use it (catalog/usage.ts).
 * - `stack_version` is the stack's `.cycloid.yml` version when the component was created: stacks before
 *   v4 are not component-aware (one per environment).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await withId(db, s.createTable('components'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
    .addColumn('stack_id', 'integer', (c) => c.references('catalog_stacks.id').onDelete('set null'))
    .addColumn('stack_ref', 'varchar(300)', (c) => c.notNull())
    .addColumn('stack_version', 'varchar(20)', (c) => c.notNull())
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('use_case', 'varchar(100)', (c) => c.notNull())
    .addColumn('cloud_provider', 'varchar(100)')
    .addColumn('vars', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('components_environment_canonical', ['environment_id', 'canonical'])
    .execute();
  await s.createIndex('components_org').on('components').column('organization_id').execute();
  await s.createIndex('components_project').on('components').column('project_id').execute();
  await s.createIndex('components_stack').on('components').column('stack_id').execute();
}
