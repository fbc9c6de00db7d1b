import type { components } from '../../generated/contract.js';
import { type FoundUse, inUseOf } from '../../platform/credential-users.js';
import { presentOwner } from '../../platform/ownership/present.js';
import { type CredentialRaw, type CredentialType, rawFromFields, type SecretFields } from './raw-fields.js';
import type { CredentialRow } from './repo.js';

export type CredentialView = components['schemas']['Credential'];
export type CredentialSimpleView = components['schemas']['CredentialSimple'];

/** The credential without its secret; `fields` (already opened) adds `raw`. */
export function presentCredential(
  row: CredentialRow,
  uses: readonly FoundUse[],
  fields?: SecretFields,
): CredentialView | CredentialSimpleView {
  const owner = presentOwner(row);
  const view: CredentialSimpleView = {
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    description: row.description,
    type: row.type as CredentialType,
    path: row.path,
    keys: JSON.parse(row.keys) as string[],
    in_use: inUseOf(uses),
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...(owner ? { owner } : {}),
  };
  if (!fields) return view;
  const raw: CredentialRaw = rawFromFields(row.type as CredentialType, fields);
  return { ...view, raw };
}
