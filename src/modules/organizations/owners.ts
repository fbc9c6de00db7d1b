import type { DbHandle } from '../../platform/db/database.js';

/** The user owning one entity, found from the organization and the entity's canonicals (path order). */
type OwnerLookup = (db: DbHandle, organizationId: number, canonicals: readonly string[]) => Promise<number | null>;

/**
 * Entity kinds that have an owner: the kind's word in entity paths and the table holding its rows (each
 * with `organization_id`, `canonical` and `owner_user_id`). Modules that add owned entities (projects,
 * infra policies, catalog repositories) add them here, next to the `owner` they declare on their
 * operations: both the owner checks and `UserSession.owns` read this list.
 */
const OWNED_KINDS = [
  { kind: 'team', table: 'teams' },
  { kind: 'api_key', table: 'api_keys' },
  { kind: 'credential', table: 'credentials' },
] as const;

/** The owner of a row found by organization and canonical, in one of the owned tables. */
function ownerByCanonical(table: OwnedTable): OwnerLookup {
  return async (db, organizationId, canonicals) => {
    const row = await db
      .selectFrom(table)
      .select('owner_user_id')
      .where('organization_id', '=', organizationId)
      .where('canonical', '=', canonicals[canonicals.length - 1] ?? '')
      .executeTakeFirst();
    return row?.owner_user_id ?? null;
  };
}

type OwnedTable = (typeof OWNED_KINDS)[number]['table'];

/**
 * Ids of the organization's rows in an owned table that `visible` accepts: lists narrow to these for
 * callers who may not see the whole collection (scoped rules, or ownership alone).
 */
export async function visibleOwnedIds(
  db: DbHandle,
  table: OwnedTable,
  organizationId: number,
  visible: (row: { canonical: string; owner_user_id: number | null }) => boolean,
): Promise<number[]> {
  const rows = await db
    .selectFrom(table)
    .select(['id', 'canonical', 'owner_user_id'])
    .where('organization_id', '=', organizationId)
    .execute();
  return rows.filter(visible).map((row) => row.id);
}

/**
 * Owner lookups by entity path. `canDo` uses these to pass the owner to the same `Access.can` the
 * authorizer runs, so owners get the same answer from both.
 */
export const OWNER_LOOKUPS: Record<string, OwnerLookup> = Object.fromEntries(
  OWNED_KINDS.map(({ kind, table }) => [`organization:${kind}`, ownerByCanonical(table)]),
);

/** Entity paths the user owns in one organization, for `UserSession.owns`: by kind, then canonical. */
export async function ownedEntityPaths(db: DbHandle, userId: number, org: { id: number; canonical: string }) {
  const byKind = await Promise.all(
    OWNED_KINDS.map(async ({ kind, table }) => {
      const rows = await db
        .selectFrom(table)
        .select('canonical')
        .where('organization_id', '=', org.id)
        .where('owner_user_id', '=', userId)
        .orderBy('canonical')
        .execute();
      return rows.map((row) => `organization:${org.canonical}:${kind}:${row.canonical}`);
    }),
  );
  return byKind.flat();
}

/**
 * The owner relevant to `action` on `entities`: that of the most specific owned entity on the path
 * (`organization:team:member:read` on [team, member] is decided by the team's owner).
 */
export async function ownerOnPath(
  db: DbHandle,
  organizationId: number,
  action: string,
  entities: readonly string[],
): Promise<number | null> {
  const words = action.split(':').slice(0, -1);
  for (let depth = Math.min(entities.length, words.length - 1); depth >= 1; depth--) {
    const lookup = OWNER_LOOKUPS[words.slice(0, depth + 1).join(':')];
    if (lookup) return lookup(db, organizationId, entities.slice(0, depth));
  }
  return null;
}
