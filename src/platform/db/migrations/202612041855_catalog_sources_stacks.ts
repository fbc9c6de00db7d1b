import type { Kysely } from 'kysely';
import { withId } from '../columns.js';

/**
 * Catalog repositories (service catalog sources) and the stacks indexed from them. A stack keeps the
 * files the API shows (forms, README, the files its use cases name) as read at the indexed commit, so
 * reading a stack never touches git. Canonicals of stacks are unique per organization across all of its
 * catalog repositories.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await withId(db, s.createTable('catalog_sources'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('branch', 'varchar(255)', (c) => c.notNull())
    .addColumn('credential_id', 'integer', (c) => c.references('credentials.id').onDelete('set null'))
    .addColumn('owner_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('set null'))
    .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
    .addColumn('indexed_commit', 'varchar(64)')
    .addColumn('index_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('problems', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('refreshed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('catalog_sources_org_canonical', ['organization_id', 'canonical'])
    .execute();
  await s.createIndex('catalog_sources_credential').on('catalog_sources').column('credential_id').execute();

  // Small columns first, large texts last: SQLite reads a row's record up to the last column asked
  // for, so a list that stops before the README and the files never walks their overflow pages.
  await withId(db, s.createTable('catalog_stacks'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('source_id', 'integer', (c) => c.notNull().references('catalog_sources.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('directory', 'varchar(1024)', (c) => c.notNull())
    .addColumn('name', 'varchar(500)', (c) => c.notNull())
    .addColumn('author', 'varchar(500)', (c) => c.notNull())
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('image', 'text')
    .addColumn('technologies', 'text', (c) => c.notNull())
    .addColumn('dependencies', 'text', (c) => c.notNull())
    .addColumn('cloud_providers', 'text', (c) => c.notNull())
    .addColumn('blueprint', 'integer', (c) => c.notNull())
    .addColumn('version', 'varchar(10)', (c) => c.notNull())
    .addColumn('form_enabled', 'integer', (c) => c.notNull())
    .addColumn('quota_enabled', 'integer', (c) => c.notNull())
    .addColumn('digest', 'varchar(64)', (c) => c.notNull())
    .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
    .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('set null'))
    .addColumn('diagram_created_at', 'bigint')
    .addColumn('diagram_updated_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('readme', 'text')
    .addColumn('use_cases', 'text', (c) => c.notNull())
    .addColumn('forms', 'text')
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('diagram', 'text')
    .addColumn('diagram_image', 'text')
    .addUniqueConstraint('catalog_stacks_org_canonical', ['organization_id', 'canonical'])
    .execute();
  await s.createIndex('catalog_stacks_source').on('catalog_stacks').column('source_id').execute();
}
