import type { DbHandle } from '../../platform/db/database.js';

/** The user owning one entity, found from the organization and the entity's canonicals (path order). */
type OwnerLookup = (db: DbHandle, organizationId: number, canonicals: readonly string[]) => Promise<number | null>;

/**
 * Entity kinds that have an owner, by entity path. `canDo` uses these to pass the owner to the same
 * `Access.can` the authorizer runs, so owners get the same answer from both. Modules that add owned
 * entities (projects, credentials, infra policies, catalog repositories) add their lookup here, next
 * to the `owner` they declare on their operations.
 */
export const OWNER_LOOKUPS: Record<string, OwnerLookup> = {
  'organization:team': async (db, organizationId, [team]) => {
    const row = await db
      .selectFrom('teams')
      .select('owner_user_id')
      .where('organization_id', '=', organizationId)
      .where('canonical', '=', team)
      .executeTakeFirst();
    return row?.owner_user_id ?? null;
  },
  'organization:api_key': async (db, organizationId, [key]) => {
    const row = await db
      .selectFrom('api_keys')
      .select('owner_user_id')
      .where('organization_id', '=', organizationId)
      .where('canonical', '=', key)
      .executeTakeFirst();
    return row?.owner_user_id ?? null;
  },
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
