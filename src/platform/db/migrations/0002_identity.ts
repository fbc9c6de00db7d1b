import type { Kysely } from 'kysely';
import { withId } from '../columns.js';

/**
 * Users, organizations, roles, memberships, teams, API keys, events and rate limits.
 * Role references use NO ACTION rather than RESTRICT: deleting an organization cascades to its roles
 * and its memberships in one statement, and PostgreSQL checks RESTRICT before the memberships are gone.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await withId(db, s.createTable('users'))
    .addColumn('username', 'varchar(100)', (c) => c.notNull().unique())
    .addColumn('email', 'varchar(320)', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('given_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('family_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('locale', 'varchar(10)', (c) => c.notNull().defaultTo('en'))
    .addColumn('country_code', 'varchar(2)')
    .addColumn('picture_url', 'text')
    .addColumn('mfa_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('guide', 'text')
    .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_login_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db, s.createTable('user_tokens'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'varchar(40)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await s.createIndex('user_tokens_user').on('user_tokens').columns(['user_id', 'purpose']).execute();

  await withId(db, s.createTable('organizations'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('parent_id', 'integer', (c) => c.references('organizations.id').onDelete('restrict'))
    .addColumn('is_root', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mfa_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('quotas', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('can_children_create_appearance', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('can_children_use_dedicated_authentication', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_using_dedicated_authentication', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await s.createIndex('organizations_parent').on('organizations').column('parent_id').execute();

  await withId(db, s.createTable('roles'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('roles_org_canonical', ['organization_id', 'canonical'])
    .execute();

  await withId(db, s.createTable('role_rules'))
    .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('action', 'varchar(200)', (c) => c.notNull())
    .addColumn('effect', 'varchar(10)', (c) => c.notNull().defaultTo('allow'))
    .addColumn('resources', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await s.createIndex('role_rules_role').on('role_rules').column('role_id').execute();

  await withId(db, s.createTable('memberships'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('no action'))
    .addColumn('invitation_email', 'varchar(320)')
    .addColumn('invitation_state', 'varchar(20)')
    .addColumn('invitation_token_hash', 'varchar(64)', (c) => c.unique())
    .addColumn('invitation_expires_at', 'bigint')
    .addColumn('invited_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('invited_at', 'bigint')
    .addColumn('invitation_resent_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('memberships_org_user', ['organization_id', 'user_id'])
    .addUniqueConstraint('memberships_org_invitation', ['organization_id', 'invitation_email'])
    .execute();
  await s.createIndex('memberships_user').on('memberships').column('user_id').execute();

  await withId(db, s.createTable('teams'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('owner_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('teams_org_canonical', ['organization_id', 'canonical'])
    .execute();

  await s
    .createTable('team_roles')
    .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('no action'))
    .addPrimaryKeyConstraint('team_roles_pk', ['team_id', 'role_id'])
    .execute();
  await s.createIndex('team_roles_role').on('team_roles').column('role_id').execute();

  await s
    .createTable('team_members')
    .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await s.createIndex('team_members_user').on('team_members').column('user_id').execute();

  await withId(db, s.createTable('api_keys'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('canonical', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('owner_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('prefix', 'varchar(32)', (c) => c.notNull().unique())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_seven', 'varchar(7)', (c) => c.notNull())
    .addColumn('readonly', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('api_keys_org_canonical', ['organization_id', 'canonical'])
    .execute();

  await withId(db, s.createTable('api_key_rules'))
    .addColumn('api_key_id', 'integer', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('action', 'varchar(200)', (c) => c.notNull())
    .addColumn('effect', 'varchar(10)', (c) => c.notNull().defaultTo('allow'))
    .addColumn('resources', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await s.createIndex('api_key_rules_key').on('api_key_rules').column('api_key_id').execute();

  await withId(db, s.createTable('events'))
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('type', 'varchar(20)', (c) => c.notNull())
    .addColumn('severity', 'varchar(10)', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('color', 'varchar(50)')
    .addColumn('icon', 'varchar(100)')
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('timestamp_ms', 'bigint', (c) => c.notNull())
    .execute();
  await s.createIndex('events_org_time').on('events').columns(['organization_id', 'timestamp_ms']).execute();

  await s
    .createTable('rate_limits')
    .addColumn('key', 'varchar(300)', (c) => c.primaryKey())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
}
