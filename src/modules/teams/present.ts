import type { components } from '../../generated/contract.js';
import { isSet } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { compact } from '../members/present.js';
import { presentRole } from '../roles/present.js';
import { presentOwner } from '../users/present.js';
import { memberPreviews, type TeamMemberPreviewRow, type TeamMemberRow, type TeamRow, teamRoles } from './repo.js';

export type TeamView = components['schemas']['Team'];
export type MemberTeamView = components['schemas']['MemberTeam'];

export const MEMBERS_PREVIEW_SIZE = 6;

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
 * Presents a page of teams with a fixed number of queries whatever the page size: team roles, the
 * roles' rules, and member previews with counts.
 */
export async function presentTeams(db: DbHandle, organizationId: number, rows: TeamRow[]): Promise<TeamView[]> {
  const teamIds = rows.map((r) => r.id);
  const [{ byTeam: roleIdsByTeam, roles }, previews] = await Promise.all([
    teamRoles(db, teamIds),
    memberPreviews(db, organizationId, teamIds, MEMBERS_PREVIEW_SIZE),
  ]);
  const previewsByTeam = new Map<number, TeamMemberPreviewRow[]>();
  for (const p of previews) {
    const list = previewsByTeam.get(p.team_id) ?? [];
    list.push(p);
    previewsByTeam.set(p.team_id, list);
  }
  return rows.map((row) => {
    const members = previewsByTeam.get(row.id) ?? [];
    return compact({
      id: row.id,
      canonical: row.canonical,
      name: row.name,
      owner: presentOwner(row),
      roles: (roleIdsByTeam.get(row.id) ?? []).flatMap((id) => {
        const role = roles.get(id);
        return role ? [presentRole(role)] : [];
      }),
      member_count: members[0]?.member_count ?? 0,
      members_preview: members.map(presentTeamMember),
      created_at: row.created_at,
      updated_at: row.updated_at,
    });
  });
}
