import type { Access } from '../../platform/authz/access.js';
import type { AuthCache } from '../../platform/authz/cache.js';
import { canSeeAll } from '../../platform/authz/grants.js';
import { findRolesByCanonical, type RoleWithRules } from '../../platform/authz/role-rows.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { applyOrder, containsText, NOTHING } from '../../platform/db/listing.js';
import { canonicalTaken, notFound, unprocessable } from '../../platform/errors.js';
import { type OrderBy, sortableFields } from '../../platform/http/ordering.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { demandWithinLimit, orgScope } from '../../platform/limits.js';
import { ownerAfterUpdate, ownerInBody } from '../../platform/ownership/input.js';
import { visibleOwnedIds } from '../../platform/ownership/lookups.js';
import { demandRoleGrantable } from '../members/service.js';
import { presentTeam, presentTeams, type TeamView } from './present.js';
import {
  addTeamRoles,
  findTeam,
  loadTeamRelations,
  replaceTeamRoles,
  type TeamRow,
  teamCanonicalTaken,
  teamQuery,
  teamRoles,
} from './repo.js';

export interface TeamFilters {
  team_name?: string;
  team_created_at?: number;
  team_description?: string;
  member_id?: number;
}

export const TEAM_SORTABLE = sortableFields('team', {
  id: 'teams.id',
  name: 'teams.name',
  canonical: 'teams.canonical',
  created_at: 'teams.created_at',
  updated_at: 'teams.updated_at',
});

export interface TeamInput {
  name: string;
  canonical?: string;
  owner?: string;
  roles_canonical: string[];
}

/**
 * Teams the caller may see: all of them with `list` or `read` over the collection, otherwise the ones
 * their resource-scoped `read` rules or their ownership reach. Paging and counting stay in SQL.
 */
export async function listTeams(
  db: DbHandle,
  access: Access,
  filters: TeamFilters,
  paging: Paging,
  orderBy: OrderBy[],
  cache?: AuthCache,
): Promise<Page<TeamView>> {
  const orgId = access.organization.id;
  let query = teamQuery(db, orgId);
  if (!canSeeAll(access, 'organization:team')) {
    const ids = await visibleOwnedIds(db, 'teams', orgId, (t) =>
      access.can('organization:team:read', [t.canonical], t.owner_user_id),
    );
    query = ids.length > 0 ? query.where('teams.id', 'in', ids) : query.where(NOTHING);
  }
  if (filters.team_name !== undefined) query = query.where(containsText('teams.name', filters.team_name));
  // Teams have no description: the filter searches the name, so a search box sending one text as both
  // team_name and team_description keeps working.
  if (filters.team_description !== undefined) query = query.where(containsText('teams.name', filters.team_description));
  if (filters.team_created_at !== undefined) query = query.where('teams.created_at', '=', filters.team_created_at);
  const memberId = filters.member_id;
  if (memberId !== undefined) {
    query = query.where('teams.id', 'in', (eb) =>
      eb
        .selectFrom('team_members')
        .innerJoin('memberships', 'memberships.user_id', 'team_members.user_id')
        .select('team_members.team_id')
        .where('memberships.id', '=', memberId)
        .where('memberships.organization_id', '=', orgId),
    );
  }
  const page = await fetchPage(applyOrder(query, orderBy, 'teams.id'), paging);
  const relations = await loadTeamRelations(db, orgId, page.items, cache);
  return new Page(presentTeams(page.items, relations), page.total, page.paging);
}

/** One team as the wire shows it: its row and its relations (roles with rules, member preview). */
export async function readTeam(
  db: DbHandle,
  organizationId: number,
  row: TeamRow,
  cache?: AuthCache,
): Promise<TeamView> {
  return presentTeam(row, await loadTeamRelations(db, organizationId, [row], cache));
}

/** Roles named in a body: at least one, all existing in the organization (422 naming the missing). */
async function rolesInBody(db: DbHandle, access: Access, canonicals: string[]): Promise<RoleWithRules[]> {
  const wanted = [...new Set(canonicals)];
  if (wanted.length === 0) throw unprocessable('roles_canonical: a team needs at least one role');
  const roles = await findRolesByCanonical(db, access.organization.id, wanted);
  const found = new Set(roles.map((r) => r.role.canonical));
  const missing = wanted.filter((c) => !found.has(c));
  if (missing.length > 0) {
    throw unprocessable(
      `roles_canonical: ${missing.map((c) => `'${c}'`).join(', ')} ${missing.length === 1 ? 'is not a role' : 'are not roles'} of organization '${access.organization.canonical}'`,
    );
  }
  return roles;
}

async function demandFreeCanonical(db: DbHandle, access: Access, canonical: string): Promise<void> {
  if (await teamCanonicalTaken(db, access.organization.id, canonical)) {
    throw canonicalTaken('team', canonical, access.organization);
  }
}

export async function createTeam(db: DbHandle, access: Access, input: TeamInput): Promise<TeamView> {
  const orgId = access.organization.id;
  const canonical = input.canonical ?? canonicalFromName(input.name);
  const roles = await rolesInBody(db, access, input.roles_canonical);
  for (const role of roles) demandRoleGrantable(access, role);
  // Omitted owner: the creator (for an API key, the key's owner, which may be nobody).
  const ownerId = input.owner !== undefined ? await ownerInBody(db, access, input.owner) : access.actor.userId;
  await demandFreeCanonical(db, access, canonical);
  await demandWithinLimit(db, 'teamsPerOrg', orgScope(access));
  const now = nowSeconds();
  const team = await db
    .insertInto('teams')
    .values({
      organization_id: orgId,
      canonical,
      name: input.name,
      owner_user_id: ownerId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await addTeamRoles(
    db,
    team.id,
    roles.map((r) => r.role.id),
  );
  // A new team has no members, and its roles were loaded above: only the owner's fields are read back.
  const row = (await findTeam(db, orgId, canonical))!;
  const byId = [...roles].sort((a, b) => a.role.id - b.role.id); // as reads list them
  return presentTeam(row, { roles: new Map([[team.id, byId]]), previews: new Map() });
}

export async function updateTeam(db: DbHandle, access: Access, team: TeamRow, input: TeamInput): Promise<TeamView> {
  const orgId = access.organization.id;
  const canonical = input.canonical ?? team.canonical;
  const roles = await rolesInBody(db, access, input.roles_canonical);
  // Roles the team already has were granted before; only new ones need the caller to hold them.
  const current = new Set(((await teamRoles(db, [team.id])).get(team.id) ?? []).map((r) => r.role.id));
  for (const role of roles) if (!current.has(role.role.id)) demandRoleGrantable(access, role);

  const ownerId = await ownerAfterUpdate(db, access, team.owner_user_id, input.owner, `team '${team.canonical}'`);
  if (canonical !== team.canonical) await demandFreeCanonical(db, access, canonical);
  await db
    .updateTable('teams')
    .set({ canonical, name: input.name, owner_user_id: ownerId, updated_at: nowSeconds() })
    .where('id', '=', team.id)
    .execute();
  await replaceTeamRoles(
    db,
    team.id,
    roles.map((r) => r.role.id),
  );
  return readTeam(db, orgId, (await findTeam(db, orgId, canonical))!);
}

export async function deleteTeam(db: DbHandle, team: TeamRow): Promise<void> {
  await db.deleteFrom('teams').where('id', '=', team.id).execute();
}

export function teamNotFound(canonical: string) {
  return notFound(`team '${canonical}'`);
}
