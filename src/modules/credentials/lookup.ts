import type { DbHandle } from '../../platform/db/database.js';
import type { CredentialType } from './raw-fields.js';

/** A credential as other modules name it in their bodies: by canonical, without its secret. */
export interface CredentialRef {
  id: number;
  canonical: string;
  type: CredentialType;
}

/**
 * The credential a body names by canonical in one organization (config and catalog repositories pick
 * theirs this way). Its secret is opened only when used, with `credentialForUse` (secrets.ts).
 */
export async function credentialByCanonical(
  db: DbHandle,
  organizationId: number,
  canonical: string,
): Promise<CredentialRef | undefined> {
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'canonical', 'type'])
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  return row && { id: row.id, canonical: row.canonical, type: row.type as CredentialType };
}
