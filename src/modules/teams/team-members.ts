import type { Access } from '../../platform/authz/access.js';
import { findAcceptedMemberByUsername } from '../../platform/authz/memberships.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { conflict, notFound, unprocessable } from '../../platform/errors.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { demandRoleGrantable } from '../members/service.js';
import { type MemberTeamView, presentTeamMember } from './present.js';
import { type TeamRow, teamMemberQuery, teamRoles } from './repo.js';

export async function listTeamMembers(
  db: DbHandle,
  organizationId: number,
  team: TeamRow,
  paging: Paging,
): Promise<Page<MemberTeamView>> {
  const query = teamMemberQuery(db, organizationId)
    .where('team_members.team_id', '=', team.id)
    .orderBy('team_members.created_at')
    .orderBy('memberships.id');
  const page = await fetchPage(query, paging);
  return new Page(page.items.map(presentTeamMember), page.total, page.paging);
}

/** `memberId` is the organization membership id, as everywhere on the wire. */
export async function getTeamMember(
  db: DbHandle,
  organizationId: number,
  team: TeamRow,
  memberId: number,
): Promise<MemberTeamView> {
  return presentTeamMember(await teamMemberOrNotFound(db, organizationId, team, memberId));
}

async function teamMemberOrNotFound(db: DbHandle, organizationId: number, team: TeamRow, memberId: number) {
  const row = await teamMemberQuery(db, organizationId)
    .where('team_members.team_id', '=', team.id)
    .where('memberships.id', '=', memberId)
    .executeTakeFirst();
  if (!row) throw notFound(`member ${memberId} of team '${team.canonical}'`);
  return row;
}

/**
 * Adds an accepted organization member to a team. Joining a team grants its roles, so the caller must
 * hold every right of those roles (see demandGrantable).
 */
export async function assignTeamMember(
  db: DbHandle,
  access: Access,
  team: TeamRow,
  username: string,
): Promise<MemberTeamView> {
  const orgId = access.organization.id;
  const member = await findAcceptedMemberByUsername(db, orgId, username);
  if (!member) {
    throw unprocessable(`username: '${username}' is not a member of organization '${access.organization.canonical}'`);
  }
  for (const role of (await teamRoles(db, [team.id])).get(team.id) ?? []) demandRoleGrantable(access, role);
  const already = await db
    .selectFrom('team_members')
    .select('user_id')
    .where('team_id', '=', team.id)
    .where('user_id', '=', member.user_id)
    .executeTakeFirst();
  if (already) throw conflict(`username: '${username}' is already a member of team '${team.canonical}'`);
  await db
    .insertInto('team_members')
    .values({ team_id: team.id, user_id: member.user_id, created_at: nowSeconds() })
    .execute();
  return getTeamMember(db, orgId, team, member.member_id);
}

export async function unassignTeamMember(db: DbHandle, access: Access, team: TeamRow, memberId: number): Promise<void> {
  const member = await teamMemberOrNotFound(db, access.organization.id, team, memberId);
  await db.deleteFrom('team_members').where('team_id', '=', team.id).where('user_id', '=', member.user_id).execute();
}
