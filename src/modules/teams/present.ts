import type { components } from '../../generated/contract.js';
import type { RoleWithRules } from '../../platform/authz/role-rows.js';
import { isSet } from '../../platform/db/columns.js';
import { presentOwner } from '../../platform/ownership/present.js';
import { compact } from '../members/present.js';
import { presentRole } from '../roles/present.js';
import type { TeamMemberRow, TeamRelations, TeamRow } from './repo.js';

export type TeamView = components['schemas']['Team'];
type RoleView = components['schemas']['Role'];
export type MemberTeamView = components['schemas']['MemberTeam'];

/** MemberTeam: `id` is the organization membership id (the same id as in getOrgMembers). */
export function presentTeamMember(row: TeamMemberRow): MemberTeamView {
  return compact({
    id: row.id,
    username: row.username,
    email: row.email,
    given_name: row.given_name,
    family_name: row.family_name,
    mfa_enabled: isSet(row.mfa_enabled),
    picture_url: row.picture_url,
    last_login_at: row.last_login_at,
    // When the user joined this team.
    created_at: row.created_at,
    updated_at: row.created_at,
  });
}

/**
 * Each role object is presented once: teams of a page share them, and roles from the access cache are
 * the same objects from one request to the next (until an access write drops them).
 */
const presentedRoles = new WeakMap<RoleWithRules, RoleView>();
function presentRoleOnce(role: RoleWithRules): RoleView {
  let view = presentedRoles.get(role);
  if (!view) {
    view = presentRole(role);
    presentedRoles.set(role, view);
  }
  return view;
}

/** Teams as the wire shows them, from their rows and relations (see loadTeamRelations). */
export function presentTeams(rows: readonly TeamRow[], relations: TeamRelations): TeamView[] {
  return rows.map((row) => presentTeam(row, relations));
}

export function presentTeam(row: TeamRow, relations: TeamRelations): TeamView {
  const members = relations.previews.get(row.id) ?? [];
  return compact({
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    owner: presentOwner(row),
    roles: (relations.roles.get(row.id) ?? []).map(presentRoleOnce),
    member_count: members[0]?.member_count ?? 0,
    members_preview: members.map(presentTeamMember),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
}
