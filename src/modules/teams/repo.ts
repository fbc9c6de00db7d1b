import { sql } from 'kysely';
import type { DbHandle } from '../../platform/db/database.js';
import { ROLE_COLUMNS, type RoleRow, type RoleWithRules, withRules } from '../members/repo.js';
import { OWNER_COLUMNS } from '../users/present.js';

/** Teams of an organization with their owner's user fields (one row per team). */
export function teamQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('teams')
    .leftJoin('users as owner', 'owner.id', 'teams.owner_user_id')
    .where('teams.organization_id', '=', organizationId)
    .select([
      'teams.id',
      'teams.canonical',
      'teams.name',
      'teams.owner_user_id',
      'teams.created_at',
      'teams.updated_at',
      ...OWNER_COLUMNS,
    ]);
}

export type TeamRow = Awaited<ReturnType<ReturnType<typeof teamQuery>['executeTakeFirstOrThrow']>>;

export function findTeam(db: DbHandle, organizationId: number, canonical: string): Promise<TeamRow | undefined> {
  return teamQuery(db, organizationId).where('teams.canonical', '=', canonical).executeTakeFirst();
}

export async function teamCanonicalTaken(db: DbHandle, organizationId: number, canonical: string): Promise<boolean> {
  const row = await db
    .selectFrom('teams')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  return row !== undefined;
}

/** Each team's roles with their rules, for a page of teams: two queries. */
export async function teamRoles(
  db: DbHandle,
  teamIds: number[],
): Promise<{ byTeam: Map<number, number[]>; roles: Map<number, RoleWithRules> }> {
  const byTeam = new Map<number, number[]>(teamIds.map((id) => [id, []]));
  if (teamIds.length === 0) return { byTeam, roles: new Map() };
  const rows = await db
    .selectFrom('team_roles')
    .innerJoin('roles', 'roles.id', 'team_roles.role_id')
    .select(['team_roles.team_id', ...ROLE_COLUMNS])
    .where('team_roles.team_id', 'in', teamIds)
    .orderBy('roles.id')
    .execute();
  const unique = new Map<number, RoleRow>();
  for (const { team_id, ...role } of rows) {
    byTeam.get(team_id)?.push(role.id);
    unique.set(role.id, role);
  }
  return { byTeam, roles: await withRules(db, [...unique.values()]) };
}

export async function replaceTeamRoles(db: DbHandle, teamId: number, roleIds: number[]): Promise<void> {
  await db.deleteFrom('team_roles').where('team_id', '=', teamId).execute();
  await db
    .insertInto('team_roles')
    .values(roleIds.map((roleId) => ({ team_id: teamId, role_id: roleId })))
    .execute();
}

/**
 * Team members as MemberTeam needs them. A team member is always an organization member: the
 * membership id is the member's id on the wire, as in the organization's member list.
 */
export function teamMemberQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .innerJoin('memberships', (join) =>
      join
        .onRef('memberships.user_id', '=', 'team_members.user_id')
        .on('memberships.organization_id', '=', organizationId),
    )
    .select([
      'memberships.id',
      'team_members.team_id',
      'team_members.user_id',
      'team_members.created_at',
      'users.username',
      'users.email',
      'users.given_name',
      'users.family_name',
      'users.mfa_enabled',
      'users.picture_url',
      'users.last_login_at',
    ]);
}

export type TeamMemberRow = Awaited<ReturnType<ReturnType<typeof teamMemberQuery>['executeTakeFirstOrThrow']>>;

export interface TeamMemberPreviewRow extends TeamMemberRow {
  member_count: number;
}

/**
 * The first `limit` members of each team plus each team's member count, for a whole page of teams in
 * one query (window functions work the same on SQLite >= 3.25 and PostgreSQL).
 */
export async function memberPreviews(
  db: DbHandle,
  organizationId: number,
  teamIds: number[],
  limit: number,
): Promise<TeamMemberPreviewRow[]> {
  if (teamIds.length === 0) return [];
  const ranked = teamMemberQuery(db, organizationId)
    .where('team_members.team_id', 'in', teamIds)
    .select([
      sql<number>`row_number() over (partition by team_members.team_id order by team_members.created_at, team_members.user_id)`.as(
        'position',
      ),
      sql<number>`count(*) over (partition by team_members.team_id)`.as('member_count'),
    ]);
  const rows = await db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('ranked.position', '<=', limit)
    .orderBy('ranked.team_id')
    .orderBy('ranked.position')
    .execute();
  return rows.map(({ position: _position, ...row }) => ({ ...row, member_count: Number(row.member_count) }));
}

/** The user id and membership of an accepted organization member, by username. */
