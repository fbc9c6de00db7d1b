import { type Selectable, sql } from 'kysely';
import { ADMIN_ROLE } from '../../platform/authz/builtin-roles.js';
import { accepted } from '../../platform/authz/memberships.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import type { OrganizationsTable } from '../../platform/db/schema.js';
import type { Actor } from '../../platform/http/auth.js';
import { type OrderBy, sortableFields } from '../../platform/http/ordering.js';
import { MEMBER_USER_COLUMNS } from '../members/repo.js';

export type OrgRow = Selectable<OrganizationsTable>;

/** Wire field -> column for `order_by` on organization lists. */
export const ORG_SORTABLE = sortableFields('organization', {
  name: 'organizations.name',
  canonical: 'organizations.canonical',
  created_at: 'organizations.created_at',
});

export interface OrgFilters {
  /** Case-insensitive substring of the name. */
  name?: string;
  /** Exact creation time, Unix seconds. */
  createdAt?: number;
}

export function findOrgByCanonical(db: DbHandle, canonical: string): Promise<OrgRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('canonical', '=', canonical).executeTakeFirst();
}

export function findOrgsByIds(db: DbHandle, ids: readonly number[]): Promise<OrgRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('organizations').selectAll().where('id', 'in', ids).execute();
}

/**
 * The organizations an actor reaches: those where it is a member (an API key: its own organization),
 * and every descendant of those. A session opened into one organization is further limited to that
 * organization's subtree, exactly as the authorizer limits it.
 */
export function visibleOrganizationsQuery(db: DbHandle, actor: Actor) {
  const reach = db.withRecursive('reach(id)', (qb) => {
    const base =
      actor.kind === 'api_key'
        ? qb
            .selectFrom('organizations')
            .select('organizations.id')
            .where('organizations.id', '=', actor.organizationId ?? -1)
        : qb
            .selectFrom('memberships')
            .select('memberships.organization_id as id')
            .where('memberships.user_id', '=', actor.userId ?? -1)
            .where(accepted);
    return base.union((eb) =>
      eb
        .selectFrom('organizations')
        .innerJoin('reach', 'reach.id', 'organizations.parent_id')
        .select('organizations.id'),
    );
  });
  const scoped = reach.withRecursive('scope(id)', (qb) =>
    qb
      .selectFrom('organizations')
      .select('organizations.id')
      .where('organizations.id', '=', actor.organizationId ?? -1)
      .union((eb) =>
        eb
          .selectFrom('organizations')
          .innerJoin('scope', 'scope.id', 'organizations.parent_id')
          .select('organizations.id'),
      ),
  );
  let query = scoped
    .selectFrom('organizations')
    .selectAll('organizations')
    .where('organizations.id', 'in', (eb) => eb.selectFrom('reach').select('reach.id'));
  if (actor.kind === 'user' && actor.organizationId !== null) {
    query = query.where('organizations.id', 'in', (eb) => eb.selectFrom('scope').select('scope.id'));
  }
  return query;
}

export function childrenQuery(db: DbHandle, parentId: number, only?: readonly string[]) {
  let query = db.selectFrom('organizations').selectAll('organizations').where('organizations.parent_id', '=', parentId);
  if (only) query = query.where('organizations.canonical', 'in', only);
  return query;
}

export async function childCanonicals(db: DbHandle, parentId: number): Promise<string[]> {
  const rows = await db.selectFrom('organizations').select('canonical').where('parent_id', '=', parentId).execute();
  return rows.map((r) => r.canonical);
}

type OrgQuery = ReturnType<typeof childrenQuery>;

/** Applies the contract's list filters and `order_by` (default: name), with the id as a stable tiebreak. */
export function filterAndOrder<Q extends OrgQuery>(query: Q, filters: OrgFilters, orderBy: readonly OrderBy[]): Q {
  let q: OrgQuery = query;
  if (filters.name) {
    const pattern = `%${filters.name.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
    q = q.where(sql<boolean>`lower(${sql.ref('organizations.name')}) like ${pattern} escape '!'`);
  }
  if (filters.createdAt !== undefined) q = q.where('organizations.created_at', '=', filters.createdAt);
  const order = orderBy.length > 0 ? orderBy : [{ column: ORG_SORTABLE.name, direction: 'asc' as const }];
  for (const { column, direction } of order) {
    // Names sort case-insensitively on both engines (SQLite compares bytes, PostgreSQL by locale).
    const key = column === ORG_SORTABLE.name ? sql`lower(${sql.ref(column)})` : sql.ref(column);
    q = q.orderBy(key, direction);
  }
  return q.orderBy('organizations.id', 'asc') as Q;
}

export async function countChildren(db: DbHandle, organizationId: number): Promise<number> {
  const row = await db
    .selectFrom('organizations')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('parent_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Which of the given organizations have at least one child. */
export async function withChildren(db: DbHandle, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('organizations')
    .select('parent_id')
    .where('parent_id', 'in', ids)
    .groupBy('parent_id')
    .execute();
  return new Set(rows.map((r) => Number(r.parent_id)));
}

export interface InheritedFlags {
  canCreateAppearance: boolean;
  canUseDedicatedAuthentication: boolean;
}

/**
 * What the ancestors let each organization do: a feature is open to a child only when every ancestor
 * lets its children use it. Root-level organizations are not limited by anyone.
 */
export async function inheritedFlags(db: DbHandle, ids: readonly number[]): Promise<Map<number, InheritedFlags>> {
  const flags = new Map<number, InheritedFlags>(
    ids.map((id) => [id, { canCreateAppearance: true, canUseDedicatedAuthentication: true }]),
  );
  if (ids.length === 0) return flags;
  const { rows } = await sql<{ id: number; appearance: number; dedicated: number }>`
    with recursive up(start_id, parent_id, depth) as (
      select id, parent_id, 0 from organizations where id in (${sql.join(ids)})
      union all
      select up.start_id, o.parent_id, up.depth + 1
      from up join organizations o on o.id = up.parent_id
      where up.depth < 64
    )
    select up.start_id as id,
      min(p.can_children_create_appearance) as appearance,
      min(p.can_children_use_dedicated_authentication) as dedicated
    from up join organizations p on p.id = up.parent_id
    group by up.start_id`.execute(db);
  for (const row of rows) {
    flags.set(Number(row.id), {
      canCreateAppearance: Number(row.appearance) === 1,
      canUseDedicatedAuthentication: Number(row.dedicated) === 1,
    });
  }
  return flags;
}

/** Accepted members holding the organization-admin role, for several organizations at once. */
export function adminsOf(db: DbHandle, ids: readonly number[]) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .innerJoin('roles', 'roles.id', 'memberships.role_id')
    .where('memberships.organization_id', 'in', ids.length > 0 ? ids : [-1])
    .where('roles.canonical', '=', ADMIN_ROLE)
    .where(accepted)
    .select([
      'memberships.id',
      'memberships.organization_id',
      'memberships.role_id',
      'memberships.created_at',
      'memberships.updated_at',
      ...MEMBER_USER_COLUMNS,
    ])
    .orderBy('memberships.id', 'asc')
    .execute();
}

export type AdminRow = Awaited<ReturnType<typeof adminsOf>>[number];

/** The organizations among `ids` where the user holds an accepted membership. */
export async function memberOrganizationIds(
  db: DbHandle,
  userId: number,
  ids: readonly number[],
): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('memberships')
    .select('organization_id')
    .where('user_id', '=', userId)
    .where('organization_id', 'in', ids)
    .where(accepted)
    .execute();
  return new Set(rows.map((r) => r.organization_id));
}

export interface OrgChanges {
  name: string;
  mfa_enabled?: number;
  quotas?: number;
  can_children_create_appearance?: number;
  can_children_use_dedicated_authentication?: number;
  is_using_dedicated_authentication?: number;
}

export function updateOrgRow(db: DbHandle, id: number, changes: OrgChanges): Promise<OrgRow> {
  return db
    .updateTable('organizations')
    .set({ ...changes, updated_at: nowSeconds() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Children stop using dedicated authentication when their parent withdraws it. */
export async function stopChildrenDedicatedAuthentication(db: DbHandle, parentId: number): Promise<void> {
  await db
    .updateTable('organizations')
    .set({ is_using_dedicated_authentication: 0, updated_at: nowSeconds() })
    .where('parent_id', '=', parentId)
    .where('is_using_dedicated_authentication', '=', 1)
    .execute();
}

/**
 * Deletes an organization and everything under it. Foreign keys cascade from `organizations`, but
 * `memberships.role_id` and `team_roles.role_id` restrict role deletion; those rows go first so the
 * cascade never trips over them, whichever order an engine runs its cascades in.
 */
export async function deleteOrgRow(db: DbHandle, id: number): Promise<void> {
  await db
    .deleteFrom('team_roles')
    .where('team_id', 'in', (eb) => eb.selectFrom('teams').select('teams.id').where('teams.organization_id', '=', id))
    .execute();
  await db.deleteFrom('memberships').where('organization_id', '=', id).execute();
  await db.deleteFrom('organizations').where('id', '=', id).execute();
}
