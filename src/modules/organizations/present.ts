import type { components } from '../../generated/contract.js';
import { isSet } from '../../platform/db/columns.js';
import { presentRole } from '../roles/present.js';
import type { RoleView } from '../roles/service.js';
import type { AdminRow, InheritedFlags, OrgRow } from './repo.js';

type Organization = components['schemas']['Organization'];
type MemberOrg = components['schemas']['MemberOrg'];

/** Everything an Organization needs beyond its own row, loaded for a whole page at once. */
export interface OrgView {
  row: OrgRow;
  hasChildren: boolean;
  inherited: InheritedFlags;
  admins: AdminRow[];
  /** The organization's admin role, shared by every entry of `admins`. */
  adminRole: RoleView | undefined;
}

/**
 * An organization admin as a MemberOrg (the shape getOrgMembers answers): `id` is the membership id;
 * optional fields are left out rather than sent as null.
 */
export function presentAdmin(admin: AdminRow, role: RoleView): MemberOrg {
  const member: MemberOrg = {
    id: admin.id,
    role: presentRole(role),
    created_at: admin.created_at,
    updated_at: admin.updated_at,
    invitation_state: 'accepted',
    username: admin.username,
    email: admin.email,
    given_name: admin.given_name,
    family_name: admin.family_name,
    locale: admin.locale as MemberOrg['locale'],
    mfa_enabled: isSet(admin.mfa_enabled),
  };
  if (admin.picture_url) member.picture_url = admin.picture_url;
  if (admin.last_login_at !== null) member.last_login_at = admin.last_login_at;
  return member;
}

/**
 * The Organization wire object. `can_create_appearance` / `can_use_dedicated_authentication` come from
 * the ancestors' "children may" flags (always true at root level); `is_using_dedicated_authentication`
 * is reported only while it is allowed. No block reasons and no CI settings exist yet, so `blocked`
 * is empty and the `ci_*` fields are empty strings.
 */
export function presentOrganization(view: OrgView): Organization {
  const { row, inherited } = view;
  return {
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    is_root: isSet(row.is_root),
    has_children: view.hasChildren,
    blocked: [],
    admins: view.adminRole ? view.admins.map((admin) => presentAdmin(admin, view.adminRole as RoleView)) : [],
    quotas: isSet(row.quotas),
    mfa_enabled: isSet(row.mfa_enabled),
    ci_url: '',
    ci_port: '',
    ci_team_name: '',
    can_create_appearance: inherited.canCreateAppearance,
    can_children_create_appearance: isSet(row.can_children_create_appearance),
    can_use_dedicated_authentication: inherited.canUseDedicatedAuthentication,
    can_children_use_dedicated_authentication: isSet(row.can_children_use_dedicated_authentication),
    is_using_dedicated_authentication:
      inherited.canUseDedicatedAuthentication && isSet(row.is_using_dedicated_authentication),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
