import type { DbHandle } from '../../platform/db/database.js';

/** The user owning one entity, found from the organization and the entity's canonicals (path order). */
type OwnerLookup = (db: DbHandle, organizationId: number, canonicals: readonly string[]) => Promise<number | null>;

/**
 * Entity kinds that have an owner, by entity path. `canDo` uses these to pass the owner to the same
 * `Access.can` the authorizer runs, so owners get the same answer from both. Modules that add owned
 * entities (projects, credentials, infra policies, catalog repositories) add their lookup here, next
 * to the `owner` they declare on their operations.
 */
/** The owner of a row found by organization and canonical, in one of the owned tables. */
function ownerByCanonical(table: 'teams' | 'api_keys' | 'credentials'): OwnerLookup {
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

export const OWNER_LOOKUPS: Record<string, OwnerLookup> = {
  'organization:team': ownerByCanonical('teams'),
  'organization:api_key': ownerByCanonical('api_keys'),
  'organization:credential': ownerByCanonical('credentials'),
};

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
