import { type Kysely, sql } from 'kysely';
import { withId } from '../columns.js';

/**
 * Config repositories, projects, their environments and users' favorite projects.
 *
 * - One default config repository per organization is held by a partial unique index, so two
 *   concurrent requests cannot both make one (the second is a 409).
 * - A config repository's credential and a project's config repository are plain references (no
 *   cascade): the services refuse those deletes while used, naming the users; the keys are the backstop.
 * - Environments cascade with their project (the service deletes them with an audit event); components
 *   will reference `environments.id` and `projects.id`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await withId(db, s.createTable('config_repositories'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('branch', 'varchar(255)', (c) => c.notNull())
    .addColumn('credential_id', 'integer', (c) => c.notNull().references('credentials.id'))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('owner_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('config_repositories_org_canonical', ['organization_id', 'canonical'])
    .execute();
  await sql`
    create unique index config_repositories_one_default
    on config_repositories (organization_id) where is_default = 1`.execute(db);
  await s.createIndex('config_repositories_credential').on('config_repositories').column('credential_id').execute();

  await withId(db, s.createTable('projects'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('color', 'varchar(64)', (c) => c.notNull())
    .addColumn('icon', 'varchar(64)', (c) => c.notNull())
    .addColumn('cloud_provider', 'varchar(40)')
    .addColumn('config_repository_id', 'integer', (c) => c.notNull().references('config_repositories.id'))
    .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('set null'))
    .addColumn('owner_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('projects_org_canonical', ['organization_id', 'canonical'])
    .execute();
  await s.createIndex('projects_config_repository').on('projects').column('config_repository_id').execute();

  await withId(db, s.createTable('environments'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('color', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('environments_project_canonical', ['project_id', 'canonical'])
    .execute();
  await s.createIndex('environments_org').on('environments').column('organization_id').execute();

  await s
    .createTable('project_favorites')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_favorites_pk', ['user_id', 'project_id'])
    .execute();
  await s.createIndex('project_favorites_project').on('project_favorites').column('project_id').execute();
}
