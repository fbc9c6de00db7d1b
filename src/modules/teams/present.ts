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

/** Teams as the wire shows them, from their rows and relations (see loadTeamRelations). */
export function presentTeams(rows: readonly TeamRow[], relations: TeamRelations): TeamView[] {
  // Teams of a page often share roles: each role object is presented once.
  const presented = new Map<RoleWithRules, RoleView>();
  const present = (role: RoleWithRules) => {
    let view = presented.get(role);
    if (!view) {
      view = presentRole(role);
      presented.set(role, view);
    }
    return view;
  };
  return rows.map((row) => presentTeam(row, relations, present));
}

export function presentTeam(
  row: TeamRow,
  relations: TeamRelations,
  present: (role: RoleWithRules) => RoleView = presentRole,
): TeamView {
  const members = relations.previews.get(row.id) ?? [];
  return compact({
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    owner: presentOwner(row),
    roles: (relations.roles.get(row.id) ?? []).map((role) => present(role)),
    member_count: members[0]?.member_count ?? 0,
    members_preview: members.map(presentTeamMember),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
}
