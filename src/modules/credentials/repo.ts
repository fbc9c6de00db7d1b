import type { DbHandle } from '../../platform/db/database.js';
import { OWNER_COLUMNS } from '../../platform/ownership/present.js';

const CREDENTIAL_COLUMNS = [
  'credentials.id',
  'credentials.organization_id',
  'credentials.canonical',
  'credentials.name',
  'credentials.description',
  'credentials.type',
  'credentials.path',
  'credentials.keys',
  'credentials.owner_user_id',
  'credentials.builtin',
  'credentials.created_at',
  'credentials.updated_at',
] as const;

/** Credentials of one organization with their owner; the sealed value only where asked for. */
export function credentialQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('credentials')
    .leftJoin('users as owner', 'owner.id', 'credentials.owner_user_id')
    .select([...CREDENTIAL_COLUMNS, ...OWNER_COLUMNS])
    .where('credentials.organization_id', '=', organizationId);
}

export type CredentialRow = Awaited<ReturnType<ReturnType<typeof credentialQuery>['executeTakeFirstOrThrow']>>;
export type SealedCredentialRow = CredentialRow & { sealed_raw: string };

export function findCredential(
  db: DbHandle,
  organizationId: number,
  canonical: string,
): Promise<SealedCredentialRow | undefined> {
  return credentialQuery(db, organizationId)
    .select('credentials.sealed_raw')
    .where('credentials.canonical', '=', canonical)
    .executeTakeFirst();
}

/** Which of `canonical` and `path` are already taken in the organization by another credential. */
export async function takenIdentifiers(
  db: DbHandle,
  organizationId: number,
  canonical: string,
  path: string,
  exceptId?: number,
): Promise<{ canonical: boolean; path: boolean }> {
  let query = db
    .selectFrom('credentials')
    .select(['canonical', 'path'])
    .where('organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('canonical', '=', canonical), eb('path', '=', path)]));
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  const rows = await query.execute();
  return { canonical: rows.some((r) => r.canonical === canonical), path: rows.some((r) => r.path === path) };
}
