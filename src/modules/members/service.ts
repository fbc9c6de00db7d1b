import type { Access } from '../../platform/authz/access.js';
import { ADMIN_ROLE } from '../../platform/authz/builtin-roles.js';
import { demandGrantable } from '../../platform/authz/grants.js';
import { accepted } from '../../platform/authz/memberships.js';
import { findRolesByCanonical, loadRoles, type RoleWithRules } from '../../platform/authz/role-rows.js';
import { sha256 } from '../../platform/crypto/hashing.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { applyOrder, containsText } from '../../platform/db/listing.js';
import { AppError, conflict, notFound, unprocessable } from '../../platform/errors.js';
import { recordEvent } from '../../platform/events/audit.js';
import type { QueryParams } from '../../platform/http/operation.js';
import type { OrderBy } from '../../platform/http/ordering.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { type MemberOrgView, presentMember, roleIdsOf } from './present.js';
import {
  countAdmins,
  detachFromTeams,
  findInvitationByTokenHash,
  findMember,
  findMembershipRow,
  isAccepted,
  lockOrganization,
  memberQuery,
} from './repo.js';

/** The filters of getOrgMembers, as the contract declares them. */
export type MemberFilters = QueryParams<'getOrgMembers'>;

/** `order_by` fields of getOrgMembers (wire name -> column). */
export const MEMBER_SORTABLE = {
  id: 'memberships.id',
  created_at: 'memberships.created_at',
  member_created_at: 'memberships.created_at',
  updated_at: 'memberships.updated_at',
  username: 'users.username',
  user_canonical: 'users.username',
  email: 'users.email',
  given_name: 'users.given_name',
  family_name: 'users.family_name',
  user_created_at: 'users.created_at',
  last_login_at: 'users.last_login_at',
  invitation_state: 'memberships.invitation_state',
  invitation_email: 'memberships.invitation_email',
  invited_at: 'memberships.invited_at',
  role_name: 'roles.name',
};

export async function listMembers(
  db: DbHandle,
  organizationId: number,
  filters: MemberFilters,
  paging: Paging,
  orderBy: OrderBy[],
): Promise<Page<MemberOrgView>> {
  let query = memberQuery(db, organizationId);
  const f = filters;
  if (f.invitation_state === 'accepted') {
    query = query.where(accepted);
  } else if (f.invitation_state) query = query.where('memberships.invitation_state', '=', f.invitation_state);
  if (f.user_given_name !== undefined) query = query.where(containsText('users.given_name', f.user_given_name));
  if (f.user_family_name !== undefined) query = query.where(containsText('users.family_name', f.user_family_name));
  const roleName = f.role_name;
  if (roleName !== undefined) {
    query = query.where((eb) => eb.or([containsText('roles.name', roleName), eb('roles.canonical', '=', roleName)]));
  }
  if (f.user_canonical !== undefined) query = query.where('users.username', '=', f.user_canonical);
  if (f.user_created_at !== undefined) query = query.where('users.created_at', '=', f.user_created_at);
  if (f.member_created_at !== undefined) query = query.where('memberships.created_at', '=', f.member_created_at);

  const page = await fetchPage(applyOrder(query, orderBy, 'memberships.id'), paging);
  const roles = await loadRoles(db, roleIdsOf(page.items));
  return new Page(
    page.items.map((row) => presentMember(row, roles)),
    page.total,
    page.paging,
  );
}

export async function getMember(db: DbHandle, organizationId: number, memberId: number): Promise<MemberOrgView> {
  const row = await findMember(db, organizationId, memberId);
  if (!row) throw notFound(`member ${memberId}`);
  return presentMember(row, await loadRoles(db, roleIdsOf([row])));
}

/** A role named in a request body; a missing one is the body's fault (422), not a missing resource. */
export async function roleInBody(db: DbHandle, access: Access, canonical: string): Promise<RoleWithRules> {
  const [role] = await findRolesByCanonical(db, access.organization.id, [canonical]);
  if (!role) {
    throw unprocessable(
      `role_canonical: role '${canonical}' does not exist in organization '${access.organization.canonical}'`,
    );
  }
  return role;
}

/** The caller may act on a member only if they could have granted that member's role themselves. */
export function demandRoleGrantable(access: Access, { role, rules }: RoleWithRules): void {
  demandGrantable(access, {
    canonical: role.canonical,
    rules: rules.map((r) => ({ action: r.action, resources: JSON.parse(r.resources) as string[] })),
  });
}

async function membershipOrNotFound(db: DbHandle, access: Access, memberId: number) {
  const member = await findMembershipRow(db, access.organization.id, memberId);
  if (!member) throw notFound(`member ${memberId}`);
  return member;
}

/** Refuses a change that would leave the organization without an accepted organization-admin. */
async function keepOneAdmin(
  db: DbHandle,
  access: Access,
  member: { id: number; user_id: number | null; invitation_state: string | null; role_canonical: string },
  verb: string,
): Promise<void> {
  if (member.role_canonical !== ADMIN_ROLE || member.user_id === null || !isAccepted(member.invitation_state)) return;
  await lockOrganization(db, access.organization.id);
  if ((await countAdmins(db, access.organization.id)) <= 1) {
    throw conflict(
      `member ${member.id} is the last ${ADMIN_ROLE} of organization '${access.organization.canonical}' and cannot be ${verb}: give another member the ${ADMIN_ROLE} role first`,
    );
  }
}

export async function changeMemberRole(
  db: DbHandle,
  access: Access,
  memberId: number,
  roleCanonical: string,
): Promise<MemberOrgView> {
  const member = await membershipOrNotFound(db, access, memberId);
  const role = await roleInBody(db, access, roleCanonical);
  const [current] = await findRolesByCanonical(db, access.organization.id, [member.role_canonical]);
  if (current) demandRoleGrantable(access, current);
  demandRoleGrantable(access, role);
  if (role.role.canonical !== ADMIN_ROLE) await keepOneAdmin(db, access, member, 'demoted');
  await db
    .updateTable('memberships')
    .set({ role_id: role.role.id, updated_at: nowSeconds() })
    .where('id', '=', member.id)
    .execute();
  return getMember(db, access.organization.id, member.id);
}

/**
 * Removes a member (their team memberships and team ownerships in this organization go with them) or
 * cancels a pending invitation.
 */
export async function removeMember(db: DbHandle, access: Access, memberId: number): Promise<void> {
  const member = await membershipOrNotFound(db, access, memberId);
  const [current] = await findRolesByCanonical(db, access.organization.id, [member.role_canonical]);
  if (current) demandRoleGrantable(access, current);
  await keepOneAdmin(db, access, member, 'removed');
  if (member.user_id !== null) await detachFromTeams(db, access.organization.id, member.user_id);
  await db.deleteFrom('memberships').where('id', '=', member.id).execute();
}

/**
 * Accepts a pending invitation for a user who just signed up or logged in with its token. The token
 * must be the latest one mailed (a resend replaces it), unexpired and unused. The token is the proof:
 * the account's address may differ from the invited one (someone invited at work joining with an
 * existing account); `email` is recorded in the event. Runs in the caller's transaction, or in its own.
 */
export async function acceptInvitation(
  db: DbHandle,
  input: { token: string; userId: number; email: string },
): Promise<{ organizationId: number }> {
  if (!db.isTransaction) return db.transaction().execute((trx) => acceptInvitation(trx, input));
  const invitation = await findInvitationByTokenHash(db, sha256(input.token));
  if (!invitation) {
    throw notFound('invitation (the token is unknown, or a newer invitation was sent since)');
  }
  if (invitation.invitation_state === 'accepted' || invitation.user_id !== null) {
    throw conflict('this invitation has already been accepted');
  }
  if (invitation.invitation_state !== 'pending') {
    throw conflict(`this invitation is ${invitation.invitation_state ?? 'no longer valid'}`);
  }
  const now = nowSeconds();
  if ((invitation.invitation_expires_at ?? 0) <= now) {
    throw unprocessable('this invitation has expired: ask an administrator of the organization to resend it');
  }
  const organizationId = invitation.organization_id;
  const existing = await db
    .selectFrom('memberships')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', input.userId)
    .executeTakeFirst();
  if (existing) throw conflict('you are already a member of this organization');

  const updated = await db
    .updateTable('memberships')
    .set({ user_id: input.userId, invitation_state: 'accepted', invitation_expires_at: null, updated_at: now })
    .where('id', '=', invitation.id)
    .where('invitation_state', '=', 'pending')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) throw conflict('this invitation has already been accepted');
  await recordAcceptance(db, organizationId, input, invitation.id);
  return { organizationId };
}

/** The same event shape as the registrar's audit writer, for an acceptance that happens outside one. */
async function recordAcceptance(
  db: DbHandle,
  organizationId: number,
  input: { userId: number; email: string },
  memberId: number,
) {
  const user = await db.selectFrom('users').select('username').where('id', '=', input.userId).executeTakeFirst();
  if (!user) throw new AppError('NotFound', `user ${input.userId} not found`);
  await recordEvent(db, {
    organizationId,
    action: 'organization:member:accept',
    actor: user.username,
    target: `member:${memberId}`,
    tags: [{ key: 'email', value: input.email.toLowerCase() }],
  });
}
