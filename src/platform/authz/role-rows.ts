import type { Selectable } from 'kysely';
import type { DbHandle } from '../db/database.js';
import type { RoleRulesTable } from '../db/schema.js';
import type { AuthCache } from './cache.js';

/*
 * Roles with their rules, as members, teams, organizations and the roles module load them: written once
 * here so that no module reaches into another's repository for them.
 */

export type RuleRow = Selectable<RoleRulesTable>;

export interface RoleRow {
  id: number;
  canonical: string;
  name: string;
  description: string;
  is_default: number;
  created_at: number;
  updated_at: number;
}

export interface RoleWithRules {
  role: RoleRow;
  rules: RuleRow[];
}

export const ROLE_COLUMNS = [
  'roles.id',
  'roles.canonical',
  'roles.name',
  'roles.description',
  'roles.is_default',
  'roles.created_at',
  'roles.updated_at',
] as const;

/** Roles and their rules for a whole page of members or teams: two queries, whatever the page size. */
export async function loadRoles(db: DbHandle, roleIds: Iterable<number>): Promise<Map<number, RoleWithRules>> {
  const ids = [...new Set(roleIds)];
  if (ids.length === 0) return new Map();
  return withRules(db, await db.selectFrom('roles').select(ROLE_COLUMNS).where('roles.id', 'in', ids).execute());
}

/**
 * `loadRoles` through the access cache: a role and its rules change only by writes that clear it (on
 * every replica), so between them a role is read once. The objects returned are shared: do not mutate.
 */
export async function loadRolesCached(
  db: DbHandle,
  roleIds: Iterable<number>,
  cache: AuthCache | undefined,
): Promise<Map<number, RoleWithRules>> {
  if (!cache) return loadRoles(db, roleIds);
  const found = new Map<number, RoleWithRules>();
  const missing: number[] = [];
  for (const id of roleIds) {
    if (found.has(id)) continue;
    const hit = cache.get<RoleWithRules>(`role:${id}`);
    if (hit) found.set(id, hit);
    else missing.push(id);
  }
  if (missing.length === 0) return found;
  const readAt = cache.snapshot();
  for (const [id, role] of await loadRoles(db, missing)) {
    cache.set(`role:${id}`, role, readAt);
    found.set(id, role);
  }
  return found;
}

/** Attaches their rules to already-loaded roles, in one query. */
export async function withRules(db: DbHandle, roles: RoleRow[]): Promise<Map<number, RoleWithRules>> {
  const rules = await rulesOf(
    db,
    roles.map((role) => role.id),
  );
  return new Map(roles.map((role) => [role.id, { role, rules: rules.get(role.id) ?? [] }]));
}

/** Roles of one organization by canonical (in the given order); missing canonicals are left out. */
export async function findRolesByCanonical(
  db: DbHandle,
  organizationId: number,
  canonicals: string[],
): Promise<RoleWithRules[]> {
  if (canonicals.length === 0) return [];
  const rows = await db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('canonical', 'in', canonicals)
    .execute();
  const loaded = await loadRoles(
    db,
    rows.map((r) => r.id),
  );
  const byCanonical = new Map([...loaded.values()].map((r) => [r.role.canonical, r]));
  return canonicals.flatMap((c) => byCanonical.get(c) ?? []);
}

/** Rules of several roles at once, grouped by role id (rule order is insertion order). */
export async function rulesOf(db: DbHandle, roleIds: readonly number[]): Promise<Map<number, RuleRow[]>> {
  const byRole = new Map<number, RuleRow[]>(roleIds.map((id) => [id, []]));
  if (roleIds.length === 0) return byRole;
  const rows = await db
    .selectFrom('role_rules')
    .selectAll()
    .where('role_id', 'in', roleIds)
    .orderBy('id', 'asc')
    .execute();
  for (const row of rows) byRole.get(row.role_id)?.push(row);
  return byRole;
}
