import type { Selectable } from 'kysely';
import type { RuleSpec } from '../../platform/authz/rules.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import type { RolesTable } from '../../platform/db/schema.js';

export type RoleRow = Selectable<RolesTable>;

/** Roles of one organization, oldest first (built-in roles come first), optionally narrowed to canonicals. */
export function rolesQuery(db: DbHandle, organizationId: number, only?: readonly string[]) {
  let query = db.selectFrom('roles').selectAll().where('organization_id', '=', organizationId);
  if (only) query = query.where('canonical', 'in', only);
  return query.orderBy('id', 'asc');
}

export async function roleCanonicals(db: DbHandle, organizationId: number): Promise<string[]> {
  const rows = await db.selectFrom('roles').select('canonical').where('organization_id', '=', organizationId).execute();
  return rows.map((r) => r.canonical);
}

export function findRole(db: DbHandle, organizationId: number, canonical: string): Promise<RoleRow | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
}

export interface RoleFields {
  canonical: string;
  name: string;
  description: string;
}

export function insertRole(db: DbHandle, organizationId: number, fields: RoleFields): Promise<RoleRow> {
  const now = nowSeconds();
  return db
    .insertInto('roles')
    .values({ organization_id: organizationId, ...fields, is_default: 0, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function updateRoleRow(db: DbHandle, roleId: number, fields: Omit<RoleFields, 'canonical'>): Promise<RoleRow> {
  return db
    .updateTable('roles')
    .set({ ...fields, updated_at: nowSeconds() })
    .where('id', '=', roleId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Replaces every rule of a role. */
export async function replaceRules(db: DbHandle, roleId: number, rules: readonly RuleSpec[]): Promise<void> {
  await db.deleteFrom('role_rules').where('role_id', '=', roleId).execute();
  if (rules.length === 0) return;
  await db
    .insertInto('role_rules')
    .values(
      rules.map((rule) => ({
        role_id: roleId,
        action: rule.action,
        effect: 'allow',
        resources: JSON.stringify(rule.resources),
      })),
    )
    .execute();
}

/** How many memberships (members and pending invitations) and teams hold the role. */
export async function roleUsage(db: DbHandle, roleId: number): Promise<{ members: number; teams: number }> {
  const [members, teams] = await Promise.all([
    db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('role_id', '=', roleId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('team_roles')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('role_id', '=', roleId)
      .executeTakeFirstOrThrow(),
  ]);
  return { members: Number(members.n), teams: Number(teams.n) };
}

export async function deleteRoleRow(db: DbHandle, roleId: number): Promise<void> {
  await db.deleteFrom('roles').where('id', '=', roleId).execute();
}
