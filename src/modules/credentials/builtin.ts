import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { conflict } from '../../platform/errors.js';
import type { SecretFields } from './raw-fields.js';

/**
 * The built-in credential `vault`: Cycloid clients expect every organization to have it (the
 * organization's own secret store). Here it stands for the sealing this server does itself, so its
 * "secret" fields are fixed, public facts and nothing is sealed.
 */
export const BUILTIN_VAULT = {
  canonical: 'vault',
  name: 'Vault',
  path: 'vault',
  type: 'custom',
  description:
    "The organization's own secret store: Gantry seals every credential's secret fields itself. Built in; it cannot be changed or deleted.",
  fields: { engine: 'gantry', sealing: 'aes-256-gcm' } as SecretFields,
};

/** Part of creating an organization: runs in its transaction. */
export async function insertBuiltinVault(db: DbHandle, organizationId: number): Promise<void> {
  const now = nowSeconds();
  await db
    .insertInto('credentials')
    .values({
      organization_id: organizationId,
      canonical: BUILTIN_VAULT.canonical,
      name: BUILTIN_VAULT.name,
      description: BUILTIN_VAULT.description,
      type: BUILTIN_VAULT.type,
      path: BUILTIN_VAULT.path,
      keys: JSON.stringify(Object.keys(BUILTIN_VAULT.fields)),
      sealed_raw: '',
      owner_user_id: null,
      builtin: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** Changing or deleting the built-in credential is a 409. */
export function demandNotBuiltin(row: { canonical: string; builtin: number }, doing: 'change' | 'delete'): void {
  if (row.builtin === 1) {
    throw conflict(
      `credential '${row.canonical}' is the organization's built-in secret store; it cannot be ${doing === 'change' ? 'changed' : 'deleted'}`,
    );
  }
}
