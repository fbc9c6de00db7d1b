import type { Access } from '../../platform/authz/access.js';
import { canSeeAll } from '../../platform/authz/grants.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { credentialUses, type FoundUse } from '../../platform/credential-users.js';
import type { Vault } from '../../platform/crypto/sealing.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { NOTHING } from '../../platform/db/listing.js';
import { canonicalTaken, conflict, notFound, unprocessable } from '../../platform/errors.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { demandWithinLimit, orgScope } from '../../platform/limits.js';
import { ownerAfterUpdate, ownerInBody } from '../../platform/ownership/input.js';
import { visibleOwnedIds } from '../../platform/ownership/lookups.js';
import { demandNotBuiltin } from './builtin.js';
import { type CredentialSimpleView, type CredentialView, presentCredential } from './present.js';
import { type CredentialRaw, type CredentialType, secretFieldsFor } from './raw-fields.js';
import {
  type CredentialRow,
  credentialQuery,
  findCredential,
  type SealedCredentialRow,
  takenIdentifiers,
} from './repo.js';
import { openFields, sealFields } from './secrets.js';

export interface CredentialInput {
  name: string;
  type: CredentialType;
  path: string;
  raw: CredentialRaw;
  canonical?: string;
  description?: string;
  owner?: string;
}

export interface CredentialFilters {
  credential_type?: CredentialType;
  credential_types?: CredentialType[];
}

const PATH = /^[A-Za-z0-9_\-./]{1,255}$/;

export const credentialNotFound = (canonical: string) => notFound(`credential '${canonical}'`);

/**
 * The path secrets are addressed by in pipelines (`((path.field))`). The contract requires one (clients
 * such as cycloid-cli compute `<type>_<name>` themselves); its pattern is unanchored, so the whole
 * value is checked here.
 */
function pathFor(path: string): string {
  if (!PATH.test(path)) {
    throw unprocessable("path: use letters, digits, '_', '-', '.' and '/' (1-255 characters)");
  }
  if (path.startsWith('/') || path.endsWith('/') || path.split('/').some((part) => part === '' || part === '..')) {
    throw unprocessable("path: segments between '/' must be non-empty and not '..', with no leading or trailing '/'");
  }
  return path;
}

async function demandFree(db: DbHandle, access: Access, canonical: string, path: string, exceptId?: number) {
  const taken = await takenIdentifiers(db, access.organization.id, canonical, path, exceptId);
  const org = access.organization.canonical;
  if (taken.canonical) throw canonicalTaken('credential', canonical, access.organization);
  if (taken.path) throw conflict(`path: another credential of organization '${org}' already uses path '${path}'`);
}

function checkedInput(input: CredentialInput) {
  const name = input.name.trim();
  if (name === '') throw unprocessable('name: must not be empty');
  const canonical = input.canonical ?? canonicalFromName(name);
  const fields = secretFieldsFor(input.type, input.raw);
  return { name, canonical, path: pathFor(input.path), fields, keys: Object.keys(fields).sort() };
}

/** Runs in the operation's transaction: the row and its sealed value are written together or not at all. */
export async function createCredential(
  db: DbHandle,
  vault: Vault,
  access: Access,
  input: CredentialInput,
): Promise<CredentialView> {
  const orgId = access.organization.id;
  const { name, canonical, path, fields, keys } = checkedInput(input);
  await demandFree(db, access, canonical, path);
  await demandWithinLimit(db, 'credentialsPerOrg', orgScope(access));
  // Omitted owner: the creator (for an API key, the key's owner, which may be nobody).
  const ownerId = input.owner !== undefined ? await ownerInBody(db, access, input.owner) : access.actor.userId;
  const now = nowSeconds();
  const { id } = await db
    .insertInto('credentials')
    .values({
      organization_id: orgId,
      canonical,
      name,
      description: input.description ?? '',
      type: input.type,
      path,
      keys: JSON.stringify(keys),
      // The sealing context names the row id, known only after the insert (same transaction).
      sealed_raw: '',
      owner_user_id: ownerId ?? null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('credentials')
    .set({ sealed_raw: sealFields(vault, orgId, id, fields) })
    .where('id', '=', id)
    .execute();
  const row = (await findCredential(db, orgId, canonical))!;
  return presentCredential(row, [], fields) as CredentialView;
}

/** Update replaces every field, raw included: the contract requires the whole credential. */
export async function updateCredential(
  db: DbHandle,
  vault: Vault,
  access: Access,
  current: SealedCredentialRow,
  input: CredentialInput,
): Promise<CredentialView> {
  demandNotBuiltin(current, 'change');
  const orgId = access.organization.id;
  const { name, canonical, path, fields, keys } = checkedInput(input);
  await demandFree(db, access, canonical, path, current.id);
  const ownerId = await ownerAfterUpdate(
    db,
    access,
    current.owner_user_id,
    input.owner,
    `credential '${current.canonical}'`,
  );
  await db
    .updateTable('credentials')
    .set({
      canonical,
      name,
      description: input.description ?? current.description,
      type: input.type,
      path,
      keys: JSON.stringify(keys),
      sealed_raw: sealFields(vault, orgId, current.id, fields),
      owner_user_id: ownerId,
      updated_at: nowSeconds(),
    })
    .where('id', '=', current.id)
    .execute();
  const row = (await findCredential(db, orgId, canonical))!;
  return presentCredential(row, (await credentialUses(db, [row.id])).get(row.id) ?? [], fields) as CredentialView;
}

/**
 * Refused while external backends use the credential, naming them, unless forced: then they are left
 * without a credential (they fail clearly when used) rather than deleted.
 */
export async function deleteCredential(db: DbHandle, row: CredentialRow, force: boolean): Promise<void> {
  demandNotBuiltin(row, 'delete');
  const uses = (await credentialUses(db, [row.id])).get(row.id) ?? [];
  if (uses.length > 0 && !force) {
    throw conflict(
      `credential '${row.canonical}' is in use by ${countUses(uses)}; detach them first or delete with ?force=true`,
      uses.map((use) => use.label),
    );
  }
  await db.deleteFrom('credentials').where('id', '=', row.id).execute();
}

/** `2 external backends and 1 config repository`. */
function countUses(uses: readonly FoundUse[]): string {
  const counts = new Map<string, number>();
  for (const { kind } of uses) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`).join(' and ');
}

/** The credential with its secret: the caller records the read before it leaves (see routes). */
export async function revealCredential(db: DbHandle, vault: Vault, row: SealedCredentialRow): Promise<CredentialView> {
  const uses = (await credentialUses(db, [row.id])).get(row.id) ?? [];
  return presentCredential(row, uses, await openFields(vault, row)) as CredentialView;
}

const canList = (access: Access, row: { canonical: string; owner_user_id: number | null }) =>
  access.can('organization:credential:list', [row.canonical], row.owner_user_id) ||
  access.can('organization:credential:read', [row.canonical], row.owner_user_id);

/**
 * Credentials the caller may list; `raw` only on those the caller may also read (the list-vs-read rule
 * of the contract). Returns the canonicals whose value was opened, for the audit record.
 */
export async function listCredentials(
  db: DbHandle,
  vault: Vault,
  access: Access,
  filters: CredentialFilters,
  paging: Paging,
): Promise<{ page: Page<CredentialView | CredentialSimpleView>; revealed: string[] }> {
  const orgId = access.organization.id;
  let query = credentialQuery(db, orgId).select('credentials.sealed_raw');
  if (!canSeeAll(access, 'organization:credential')) {
    const ids = await visibleOwnedIds(db, 'credentials', orgId, (row) => canList(access, row));
    query = ids.length > 0 ? query.where('credentials.id', 'in', ids) : query.where(NOTHING);
  }
  const types = [...(filters.credential_types ?? []), ...(filters.credential_type ? [filters.credential_type] : [])];
  if (types.length > 0) query = query.where('credentials.type', 'in', types);
  const page = await fetchPage(query.orderBy('credentials.id'), paging);
  const uses = await credentialUses(
    db,
    page.items.map((row) => row.id),
  );
  const revealed: string[] = [];
  const items = await Promise.all(
    page.items.map(async (row) => {
      const own = uses.get(row.id) ?? [];
      if (!access.can('organization:credential:read', [row.canonical], row.owner_user_id)) {
        return presentCredential(row, own);
      }
      revealed.push(row.canonical);
      return presentCredential(row, own, await openFields(vault, row));
    }),
  );
  return { page: new Page(items, page.total, page.paging), revealed };
}
