import { type OwnedTable, ownedKinds } from '../authz/owned-kinds.js';
import type { DbHandle } from '../db/database.js';

/** The user owning one entity, found from the organization and the entity's canonicals (path order). */
type OwnerLookup = (db: DbHandle, organizationId: number, canonicals: readonly string[]) => Promise<number | null>;

/*
 * Entity kinds that have an owner are declared by their modules (`ownedKinds: [{ kind, table }]`, next
 * to the `owner` they declare on their operations) and registered at boot
 * (platform/authz/owned-kinds.ts): both the owner checks and `UserSession.owns` read that list.
 */

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
 * The owner lookup of an entity path's kind (`organization:team`). `canDo` uses these to pass the owner
 * to the same `Access.can` the authorizer runs, so owners get the same answer from both.
 */
function ownerLookup(path: string): OwnerLookup | undefined {
  const owned = ownedKinds().find(({ kind }) => `organization:${kind}` === path);
  return owned && ownerByCanonical(owned.table);
}

/** Entity paths the user owns in one organization, for `UserSession.owns`: by kind, then canonical. */
export async function ownedEntityPaths(db: DbHandle, userId: number, org: { id: number; canonical: string }) {
  const byKind = await Promise.all(
    ownedKinds().map(async ({ kind, table }) => {
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
    const lookup = ownerLookup(words.slice(0, depth + 1).join(':'));
    if (lookup) return lookup(db, organizationId, entities.slice(0, depth));
  }
  return null;
}
