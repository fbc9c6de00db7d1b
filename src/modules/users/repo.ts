import type { Insertable, Selectable, Updateable } from 'kysely';
import { ADMIN_ROLE } from '../../platform/authz/builtin-roles.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import type { UsersTable } from '../../platform/db/schema.js';

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Omit<
  Insertable<UsersTable>,
  'id' | 'token_version' | 'last_login_at' | 'created_at' | 'updated_at' | 'guide'
>;

export function findUserById(db: DbHandle, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findUserByEmail(db: DbHandle, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

export function findUserByUsername(db: DbHandle, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function insertUser(db: DbHandle, user: NewUserRow): Promise<UserRow> {
  const now = nowSeconds();
  return db
    .insertInto('users')
    .values({ ...user, guide: null, token_version: 0, last_login_at: null, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateUser(
  db: DbHandle,
  id: number,
  patch: Omit<Updateable<UsersTable>, 'id' | 'token_version' | 'created_at'>,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: nowSeconds() })
    .where('id', '=', id)
    .execute();
}

/** A new password (or a deleted account) ends every session issued before. */
export async function changePasswordHash(db: DbHandle, id: number, passwordHash: string): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({
      password_hash: passwordHash,
      token_version: eb('token_version', '+', 1),
      updated_at: nowSeconds(),
    }))
    .where('id', '=', id)
    .execute();
}

export async function recordLogin(db: DbHandle, id: number): Promise<void> {
  await db.updateTable('users').set({ last_login_at: nowSeconds() }).where('id', '=', id).execute();
}

/** Organizations where the user is a member (accepted), with whether they hold the admin role. */
export function membershipsOf(db: DbHandle, userId: number) {
  return db
    .selectFrom('memberships')
    .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
    .innerJoin('roles', 'roles.id', 'memberships.role_id')
    .select(['organizations.id', 'organizations.canonical', 'roles.canonical as role'])
    .where('memberships.user_id', '=', userId)
    .orderBy('organizations.canonical')
    .execute();
}

/** Organizations where the user is the only admin member: leaving would orphan them. */
export async function organizationsSolelyAdministeredBy(db: DbHandle, userId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships as mine')
    .innerJoin('roles as my_role', 'my_role.id', 'mine.role_id')
    .innerJoin('organizations', 'organizations.id', 'mine.organization_id')
    .select('organizations.canonical')
    .where('mine.user_id', '=', userId)
    .where('my_role.canonical', '=', ADMIN_ROLE)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('memberships as other')
            .innerJoin('roles as other_role', 'other_role.id', 'other.role_id')
            .select('other.id')
            .whereRef('other.organization_id', '=', 'mine.organization_id')
            .where('other.user_id', '!=', userId)
            .where('other.user_id', 'is not', null)
            .where('other_role.canonical', '=', ADMIN_ROLE)
            .where((eb) =>
              eb.or([eb('other.invitation_state', 'is', null), eb('other.invitation_state', '=', 'accepted')]),
            ),
        ),
      ),
    )
    .orderBy('organizations.canonical')
    .execute();
  return rows.map((r) => r.canonical);
}

/** Removes the account and everything that only made sense with it (ownerships become empty). */
export async function deleteUserCompletely(db: DbHandle, userId: number): Promise<void> {
  await db.deleteFrom('team_members').where('user_id', '=', userId).execute();
  await db.deleteFrom('memberships').where('user_id', '=', userId).execute();
  await db.deleteFrom('user_tokens').where('user_id', '=', userId).execute();
  await db.updateTable('teams').set({ owner_user_id: null }).where('owner_user_id', '=', userId).execute();
  // Its keys stop working rather than live on without an owner (an admin may give them a new one).
  await db
    .updateTable('api_keys')
    .set({ owner_user_id: null, owner_gone_at: nowSeconds() })
    .where('owner_user_id', '=', userId)
    .execute();
  await db.updateTable('api_keys').set({ created_by: null }).where('created_by', '=', userId).execute();
  await db.updateTable('memberships').set({ invited_by: null }).where('invited_by', '=', userId).execute();
  await db.deleteFrom('users').where('id', '=', userId).execute();
}

/** The invitation a token designates, read before accepting it (its email decides verification). */
export function invitationEmailByTokenHash(db: DbHandle, tokenHash: string) {
  return db
    .selectFrom('memberships')
    .select(['invitation_email'])
    .where('invitation_token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export function membershipEmail(db: DbHandle, organizationId: number, userId: number) {
  return db
    .selectFrom('memberships')
    .select(['invitation_email'])
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * A no-op write on the organization row: takes its row lock (PostgreSQL) or the write lock (SQLite),
 * so admin checks and admin changes in that organization happen one after the other.
 */
export async function touchOrganization(db: DbHandle, organizationId: number): Promise<void> {
  await db
    .updateTable('organizations')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', organizationId)
    .execute();
}
