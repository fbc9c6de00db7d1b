import { ADMIN_ROLE } from '../../platform/authz/builtin-roles.js';
import { accepted } from '../../platform/authz/memberships.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';

/** The member's user fields, as members and organization admins are presented (joined as `users`). */
export const MEMBER_USER_COLUMNS = [
  'users.username',
  'users.email',
  'users.given_name',
  'users.family_name',
  'users.locale',
  'users.mfa_enabled',
  'users.picture_url',
  'users.last_login_at',
] as const;

/**
 * Members and invitations of an organization with what their presentation needs: the user (absent
 * while an invitation is pending) and the inviter's own membership in the same organization.
 */
export function memberQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('memberships')
    .innerJoin('roles', 'roles.id', 'memberships.role_id')
    .leftJoin('users', 'users.id', 'memberships.user_id')
    .leftJoin('memberships as inviter_m', (join) =>
      join
        .onRef('inviter_m.user_id', '=', 'memberships.invited_by')
        .onRef('inviter_m.organization_id', '=', 'memberships.organization_id'),
    )
    .leftJoin('users as inviter', 'inviter.id', 'inviter_m.user_id')
    .where('memberships.organization_id', '=', organizationId)
    .select([
      'memberships.id',
      'memberships.user_id',
      'memberships.role_id',
      'memberships.invitation_email',
      'memberships.invitation_state',
      'memberships.invitation_expires_at',
      'memberships.invited_at',
      'memberships.invitation_resent_at',
      'memberships.created_at',
      'memberships.updated_at',
      ...MEMBER_USER_COLUMNS,
      'inviter_m.id as inviter_member_id',
      'inviter_m.role_id as inviter_role_id',
      'inviter_m.created_at as inviter_created_at',
      'inviter_m.updated_at as inviter_updated_at',
      'inviter.username as inviter_username',
      'inviter.email as inviter_email',
      'inviter.given_name as inviter_given_name',
      'inviter.family_name as inviter_family_name',
    ]);
}

export type MemberRow = Awaited<ReturnType<ReturnType<typeof memberQuery>['executeTakeFirstOrThrow']>>;

export function findMember(db: DbHandle, organizationId: number, memberId: number): Promise<MemberRow | undefined> {
  return memberQuery(db, organizationId).where('memberships.id', '=', memberId).executeTakeFirst();
}

/** The bare membership row, for writes. */
export function findMembershipRow(db: DbHandle, organizationId: number, memberId: number) {
  return db
    .selectFrom('memberships')
    .innerJoin('roles', 'roles.id', 'memberships.role_id')
    .select([
      'memberships.id',
      'memberships.user_id',
      'memberships.role_id',
      'memberships.invitation_state',
      'memberships.invitation_email',
      'roles.canonical as role_canonical',
    ])
    .where('memberships.organization_id', '=', organizationId)
    .where('memberships.id', '=', memberId)
    .executeTakeFirst();
}

/** Memberships that count as "in the organization": accepted ones (null state = created directly). */
export function isAccepted(state: string | null): boolean {
  return state === null || state === 'accepted';
}

/** How many accepted members hold the built-in admin role. */
export async function countAdmins(db: DbHandle, organizationId: number): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .innerJoin('roles', 'roles.id', 'memberships.role_id')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('memberships.organization_id', '=', organizationId)
    .where('roles.canonical', '=', ADMIN_ROLE)
    .where('memberships.user_id', 'is not', null)
    .where(accepted)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Serializes changes to an organization's admins: the no-op update takes the organization row's lock
 * (PostgreSQL) or the write lock (SQLite), so two concurrent demotions cannot both see "another admin
 * is left" and leave none.
 */
export async function lockOrganization(db: DbHandle, organizationId: number): Promise<void> {
  await db
    .updateTable('organizations')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', organizationId)
    .execute();
}

/** The membership (any state) holding this address, either as the user's email or as an invitation. */
export function findMembershipByEmail(db: DbHandle, organizationId: number, email: string) {
  return db
    .selectFrom('memberships')
    .leftJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.id', 'memberships.user_id', 'memberships.invitation_state'])
    .where('memberships.organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('users.email', '=', email), eb('memberships.invitation_email', '=', email)]))
    .orderBy('memberships.id')
    .executeTakeFirst();
}

export function findInvitationByTokenHash(db: DbHandle, tokenHash: string) {
  return db
    .selectFrom('memberships')
    .select([
      'id',
      'organization_id',
      'user_id',
      'invitation_email',
      'invitation_state',
      'invitation_expires_at',
      'role_id',
    ])
    .where('invitation_token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Team memberships and team ownerships of a user inside one organization end with its membership. */
export async function detachFromTeams(db: DbHandle, organizationId: number, userId: number): Promise<void> {
  const teamIds = db.selectFrom('teams').select('id').where('organization_id', '=', organizationId);
  await db.deleteFrom('team_members').where('user_id', '=', userId).where('team_id', 'in', teamIds).execute();
  await db
    .updateTable('teams')
    .set({ owner_user_id: null })
    .where('organization_id', '=', organizationId)
    .where('owner_user_id', '=', userId)
    .execute();
}

/** Adds a user as an accepted member (no invitation): an organization's creator, or an operator's command. */
export async function insertAcceptedMember(
  db: DbHandle,
  input: { organizationId: number; userId: number; roleId: number },
): Promise<number> {
  const now = nowSeconds();
  const row = await db
    .insertInto('memberships')
    .values({
      organization_id: input.organizationId,
      user_id: input.userId,
      role_id: input.roleId,
      invitation_email: null,
      invitation_state: 'accepted',
      invitation_token_hash: null,
      invitation_expires_at: null,
      invited_by: null,
      invited_at: null,
      invitation_resent_at: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
