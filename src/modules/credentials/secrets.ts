import type { Vault } from '../../platform/crypto/sealing.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import { BUILTIN_VAULT } from './builtin.js';
import type { CredentialType, SecretFields } from './raw-fields.js';

/** The sealing context binds a value to its organization and credential row: a copied ciphertext fails. */
const contextOf = (organizationId: number, credentialId: number) => `credential:${organizationId}:${credentialId}`;

export function sealFields(vault: Vault, organizationId: number, credentialId: number, fields: SecretFields): string {
  return vault.seal(JSON.stringify(fields), contextOf(organizationId, credentialId));
}

export async function openFields(
  vault: Vault,
  row: { organization_id: number; id: number; sealed_raw: string; builtin: number },
): Promise<SecretFields> {
  if (row.builtin === 1) return { ...BUILTIN_VAULT.fields };
  return JSON.parse(await vault.reveal(row.sealed_raw, contextOf(row.organization_id, row.id))) as SecretFields;
}

/**
 * A credential's secret fields for the server's own use (a backend connecting to its store), by id.
 * Not an API read: no permission applies and nothing is returned to a client.
 */
export async function credentialForUse(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  credentialId: number,
): Promise<{ canonical: string; type: CredentialType; fields: SecretFields }> {
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'organization_id', 'canonical', 'type', 'sealed_raw', 'builtin'])
    .where('organization_id', '=', organizationId)
    .where('id', '=', credentialId)
    .executeTakeFirst();
  if (!row) throw notFound(`credential ${credentialId}`);
  return { canonical: row.canonical, type: row.type as CredentialType, fields: await openFields(vault, row) };
}
