import type { components } from '../../generated/contract.js';
import type { RoleWithRules } from '../../platform/authz/role-rows.js';
import { isSet } from '../../platform/db/columns.js';
import { presentRole } from '../roles/present.js';
import type { MemberRow } from './repo.js';

export type RoleView = components['schemas']['Role'];
export type MemberOrgView = components['schemas']['MemberOrg'];

type Compacted<T> = { [K in keyof T]: Exclude<T[K], null> };

/** Drops null and undefined fields: the contract marks them optional, never nullable. */
export function compact<T extends object>(value: T): Compacted<T> {
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === null || record[key] === undefined) delete record[key];
  return value as Compacted<T>;
}

/** A role id the page loader did not find means a broken foreign key: fail loudly rather than lie. */
function roleOf(roles: Map<number, RoleWithRules>, id: number): RoleView {
  const role = roles.get(id);
  if (!role) throw new Error(`role ${id} was not loaded`);
  return presentRole(role);
}

/**
 * MemberOrg: `id` is the membership id. Accepted members carry their user's fields; pending ones the
 * invitation's. `invited_at` is shown only while the invitation is pending (the model clears it on
 * acceptance; the column keeps the history). `invited_by` is the inviter's own membership, when the
 * inviter is still a member of the organization.
 */
export function presentMember(row: MemberRow, roles: Map<number, RoleWithRules>): MemberOrgView {
  const base = {
    id: row.id,
    role: roleOf(roles, row.role_id),
    created_at: row.created_at,
    updated_at: row.updated_at,
    invited_by: presentInviter(row, roles),
  };
  if (row.user_id === null) {
    return compact({
      ...base,
      invitation_state: (row.invitation_state ?? 'pending') as MemberOrgView['invitation_state'],
      invitation_email: row.invitation_email,
      invited_at: row.invited_at,
      invitation_resent_at: row.invitation_resent_at,
    });
  }
  return compact({
    ...base,
    invitation_state: (row.invitation_state ?? 'accepted') as MemberOrgView['invitation_state'],
    username: row.username ?? undefined,
    email: row.email ?? undefined,
    given_name: row.given_name ?? undefined,
    family_name: row.family_name ?? undefined,
    locale: (row.locale ?? undefined) as MemberOrgView['locale'],
    mfa_enabled: isSet(row.mfa_enabled),
    picture_url: row.picture_url,
    last_login_at: row.last_login_at,
  });
}

function presentInviter(row: MemberRow, roles: Map<number, RoleWithRules>): MemberOrgView | undefined {
  if (row.inviter_member_id === null || row.inviter_role_id === null) return undefined;
  return compact({
    id: row.inviter_member_id,
    role: roleOf(roles, row.inviter_role_id),
    created_at: row.inviter_created_at ?? 0,
    updated_at: row.inviter_updated_at,
    invitation_state: 'accepted' as const,
    username: row.inviter_username,
    email: row.inviter_email,
    given_name: row.inviter_given_name,
    family_name: row.inviter_family_name,
  });
}

/** Every role a page of members needs: their own and their inviters'. */
export function roleIdsOf(rows: MemberRow[]): number[] {
  return rows.flatMap((r) => (r.inviter_role_id === null ? [r.role_id] : [r.role_id, r.inviter_role_id]));
}
