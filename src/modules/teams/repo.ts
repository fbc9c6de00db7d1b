import { sql } from 'kysely';
import type { AuthCache } from '../../platform/authz/cache.js';
import { loadRolesCached, ROLE_COLUMNS, type RoleWithRules, type RuleRow } from '../../platform/authz/role-rows.js';
import type { DbHandle } from '../../platform/db/database.js';
import { prepared } from '../../platform/db/prepared.js';
import { OWNER_COLUMNS } from '../../platform/ownership/present.js';

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

const teamByCanonical = prepared((db, p: { org: number; canonical: string }) =>
  teamQuery(db, p.org).where('teams.canonical', '=', p.canonical),
);

export function findTeam(db: DbHandle, organizationId: number, canonical: string): Promise<TeamRow | undefined> {
  return teamByCanonical.first(db, { org: organizationId, canonical });
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

/** What a team's presentation needs beyond its row, for one team or a page of them. */
export interface TeamRelations {
  roles: Map<number, RoleWithRules[]>;
  previews: Map<number, TeamMemberPreviewRow[]>;
}

export const MEMBERS_PREVIEW_SIZE = 6;

/** Roles with rules and member previews of a page of teams: three queries whatever the page size. */
export async function loadTeamRelations(
  db: DbHandle,
  organizationId: number,
  rows: readonly { id: number }[],
  cache?: AuthCache,
): Promise<TeamRelations> {
  const ids = rows.map((row) => row.id);
  const [roles, previewRows] = await Promise.all([
    cache ? teamRolesCached(db, ids, cache) : teamRoles(db, ids),
    memberPreviews(db, organizationId, ids, MEMBERS_PREVIEW_SIZE),
  ]);
  const previews = new Map<number, TeamMemberPreviewRow[]>();
  for (const preview of previewRows) {
    const list = previews.get(preview.team_id);
    if (list) list.push(preview);
    else previews.set(preview.team_id, [preview]);
  }
  return { roles, previews };
}

/**
 * Each team's roles with their rules, for a page of teams: two queries. A role shared by several
 * teams is one object (its rules read once), so presenting it can be done once too.
 */
export async function teamRoles(db: DbHandle, teamIds: number[]): Promise<Map<number, RoleWithRules[]>> {
  const byTeam = new Map<number, RoleWithRules[]>(teamIds.map((id) => [id, []]));
  if (teamIds.length === 0) return byTeam;
  const [roleRows, ruleRows] =
    teamIds.length === 1
      ? await Promise.all([rolesOfOneTeam.all(db, { team: teamIds[0] }), rulesOfOneTeam.all(db, { team: teamIds[0] })])
      : await Promise.all([
          teamRolesQuery(db, (q) => q.where('team_roles.team_id', 'in', teamIds)).execute(),
          teamRulesQuery(db, (q) => q.where('team_roles.team_id', 'in', teamIds)).execute(),
        ]);
  const rulesByRole = new Map<number, RuleRow[]>();
  for (const rule of ruleRows) {
    const list = rulesByRole.get(rule.role_id);
    if (list) list.push(rule);
    else rulesByRole.set(rule.role_id, [rule]);
  }
  const roles = new Map<number, RoleWithRules>();
  for (const { team_id, ...role } of roleRows) {
    let withRules = roles.get(role.id);
    if (!withRules) {
      withRules = { role, rules: rulesByRole.get(role.id) ?? [] };
      roles.set(role.id, withRules);
    }
    byTeam.get(team_id)?.push(withRules);
  }
  return byTeam;
}

/**
 * `teamRoles` with the roles themselves from the access cache: one query for which roles the teams
 * have, and the roles' rows and rules only for roles not read since the last access write.
 */
async function teamRolesCached(
  db: DbHandle,
  teamIds: number[],
  cache: AuthCache,
): Promise<Map<number, RoleWithRules[]>> {
  const byTeam = new Map<number, RoleWithRules[]>(teamIds.map((id) => [id, []]));
  if (teamIds.length === 0) return byTeam;
  const links =
    teamIds.length === 1
      ? await roleIdsOfOneTeam.all(db, { team: teamIds[0] })
      : await db
          .selectFrom('team_roles')
          .select(['team_id', 'role_id'])
          .where('team_id', 'in', teamIds)
          .orderBy('role_id')
          .execute();
  const roles = await loadRolesCached(
    db,
    links.map((link) => link.role_id),
    cache,
  );
  for (const link of links) {
    const role = roles.get(link.role_id);
    if (role) byTeam.get(link.team_id)?.push(role);
  }
  return byTeam;
}

const roleIdsOfOneTeam = prepared((db, p: { team: number }) =>
  db.selectFrom('team_roles').select(['team_id', 'role_id']).where('team_id', '=', p.team).orderBy('role_id'),
);

type TeamRolesFilter = <Q extends WhereOnTeamRoles<Q>>(query: Q) => Q;
interface WhereOnTeamRoles<Q> {
  where(column: 'team_roles.team_id', op: '=' | 'in', value: unknown): Q;
}

const teamRolesQuery = (db: DbHandle, narrow: TeamRolesFilter) =>
  narrow(
    db
      .selectFrom('team_roles')
      .innerJoin('roles', 'roles.id', 'team_roles.role_id')
      .select(['team_roles.team_id', ...ROLE_COLUMNS])
      .orderBy('roles.id'),
  );

/** The rules of the roles of some teams, each rule once however many of the teams share its role. */
const teamRulesQuery = (db: DbHandle, narrow: TeamRolesFilter) =>
  db
    .selectFrom('role_rules')
    .selectAll()
    .where('role_rules.role_id', 'in', narrow(db.selectFrom('team_roles').select('team_roles.role_id')))
    .orderBy('role_rules.role_id')
    .orderBy('role_rules.id');

const rolesOfOneTeam = prepared((db, p: { team: number }) =>
  teamRolesQuery(db, (q) => q.where('team_roles.team_id', '=', p.team)),
);
const rulesOfOneTeam = prepared((db, p: { team: number }) =>
  teamRulesQuery(db, (q) => q.where('team_roles.team_id', '=', p.team)),
);

export async function replaceTeamRoles(db: DbHandle, teamId: number, roleIds: number[]): Promise<void> {
  await db.deleteFrom('team_roles').where('team_id', '=', teamId).execute();
  await addTeamRoles(db, teamId, roleIds);
}

/** Gives a team roles (a new team, or roles it does not have yet). */
export async function addTeamRoles(db: DbHandle, teamId: number, roleIds: number[]): Promise<void> {
  if (roleIds.length === 0) return;
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
  const rows =
    teamIds.length === 1
      ? await previewsOfOneTeam.all(db, { org: organizationId, team: teamIds[0], limit })
      : await previewsQuery(db, organizationId, limit, (q) => q.where('team_members.team_id', 'in', teamIds)).execute();
  return rows.map(({ position: _position, ...row }) => ({ ...row, member_count: Number(row.member_count) }));
}

function previewsQuery(
  db: DbHandle,
  organizationId: number,
  limit: number,
  narrow: (query: ReturnType<typeof teamMemberQuery>) => ReturnType<typeof teamMemberQuery>,
) {
  const ranked = narrow(teamMemberQuery(db, organizationId)).select([
    sql<number>`row_number() over (partition by team_members.team_id order by team_members.created_at, team_members.user_id)`.as(
      'position',
    ),
    sql<number>`count(*) over (partition by team_members.team_id)`.as('member_count'),
  ]);
  return db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('ranked.position', '<=', limit)
    .orderBy('ranked.team_id')
    .orderBy('ranked.position');
}

const previewsOfOneTeam = prepared((db, p: { org: number; team: number; limit: number }) =>
  previewsQuery(db, p.org, p.limit, (q) => q.where('team_members.team_id', '=', p.team)),
);

/** The user id and membership of an accepted organization member, by username. */
