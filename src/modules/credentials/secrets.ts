import type { Vault } from '../../platform/crypto/sealing.js';
import { BUILTIN_VAULT } from './builtin.js';
import type { SecretFields } from './raw-fields.js';

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
