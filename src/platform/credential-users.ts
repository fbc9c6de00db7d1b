import type { components } from '../generated/contract.js';
import type { DbHandle } from './db/database.js';

type CredentialInUse = components['schemas']['CredentialInUse'];

/** The lists of `CredentialInUse`: every kind of user reports its uses under one of them. */
export type InUseGroup = keyof CredentialInUse;
type InUseEntry<G extends InUseGroup> = NonNullable<CredentialInUse[G]>[number];

/** One entity using one credential. */
export interface CredentialUse<G extends InUseGroup = InUseGroup> {
  credentialId: number;
  /** Names the user in the delete refusal: `external backend 4 (logs, AWSCloudWatchLogs, shop/prod)`. */
  label: string;
  /** Its entry in the credential's `in_use`. */
  entry: InUseEntry<G>;
}

/**
 * A kind of entity that uses credentials, contributed by the module owning it (`Module.credentialUsers`):
 * the credentials module reports these in `in_use` and refuses to delete a credential while any exists,
 * without knowing the kinds. `find` answers for several credentials at once (one query per kind for a
 * page of credentials). A forced delete leaves users without their credential (the foreign key sets
 * null), so a user must fail clearly when its credential is gone.
 */
export interface CredentialUser<G extends InUseGroup = InUseGroup> {
  /** Singular noun for messages: `external backend`. */
  kind: string;
  group: G;
  find(db: DbHandle, credentialIds: readonly number[]): Promise<CredentialUse<G>[]>;
}

/** Ties a user's group to its entries' type at the declaration, so an entry of another list is refused. */
export const credentialUser = <G extends InUseGroup>(user: CredentialUser<G>): CredentialUser => user as CredentialUser;

const registered = new Map<string, CredentialUser>();

/** Adds the credential users modules declare, at boot (the same list for every app of a process). */
export function registerCredentialUsers(users: readonly CredentialUser[]): void {
  for (const user of users) registered.set(user.kind, user);
}

/** A use found through the registry, with the kind and list it belongs to. */
export type FoundUse = CredentialUse & { kind: string; group: InUseGroup };

/** Every use of the given credentials, by credential id, in the order the kinds were declared. */
export async function credentialUses(db: DbHandle, credentialIds: readonly number[]): Promise<Map<number, FoundUse[]>> {
  const byCredential = new Map<number, FoundUse[]>(credentialIds.map((id) => [id, []]));
  if (credentialIds.length === 0) return byCredential;
  for (const { kind, group, find } of registered.values()) {
    for (const use of await find(db, credentialIds)) byCredential.get(use.credentialId)?.push({ ...use, kind, group });
  }
  return byCredential;
}

/** `CredentialInUse` of one credential: every list present, empty when nothing of that kind uses it. */
export function inUseOf(uses: readonly FoundUse[]): CredentialInUse {
  const lists: Record<InUseGroup, unknown[]> = {
    config_repositories: [],
    external_backends: [],
    service_catalog_sources: [],
  };
  for (const use of uses) lists[use.group].push(use.entry);
  return lists as CredentialInUse;
}

/**
 * A kind of user whose `in_use` entries are the `{canonical, name}` of rows of one table holding a
 * `credential_id` (config repositories, catalog repositories): declared as data by the owning module.
 */
export function namedRowsCredentialUser(
  kind: string,
  group: 'config_repositories' | 'service_catalog_sources',
  table: 'config_repositories' | 'catalog_sources',
): CredentialUser {
  return {
    kind,
    group,
    async find(db, credentialIds) {
      // One query shape for both tables: they share the columns read here.
      const rows = await db
        .selectFrom(table as 'catalog_sources')
        .select(['credential_id', 'canonical', 'name'])
        .where('credential_id', 'in', [...credentialIds])
        .orderBy('canonical')
        .execute();
      return rows.map((row) => ({
        credentialId: row.credential_id as number,
        label: `${kind} '${row.canonical}'`,
        entry: { canonical: row.canonical, name: row.name },
      }));
    },
  };
}
