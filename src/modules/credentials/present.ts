import type { components } from '../../generated/contract.js';
import { presentOwner } from '../../platform/ownership/present.js';
import { type CredentialRaw, type CredentialType, rawFromFields, type SecretFields } from './raw-fields.js';
import type { BackendUse, CredentialRow } from './repo.js';

export type CredentialView = components['schemas']['Credential'];
export type CredentialSimpleView = components['schemas']['CredentialSimple'];
type InUse = components['schemas']['CredentialInUse'];

/** What uses a credential. Config repositories and catalog sources have no module yet: always empty. */
export function presentInUse(uses: readonly BackendUse[]): InUse {
  return {
    config_repositories: [],
    service_catalog_sources: [],
    external_backends: uses.map((use) => ({
      purpose: use.purpose,
      engine: use.engine,
      ...(use.project_canonical ? { project: { canonical: use.project_canonical, name: use.project_canonical } } : {}),
      ...(use.environment_canonical ? { environment: { canonical: use.environment_canonical } } : {}),
      ...(use.component_canonical ? { component: { canonical: use.component_canonical } } : {}),
    })),
  };
}

/** The credential without its secret; `fields` (already opened) adds `raw`. */
export function presentCredential(
  row: CredentialRow,
  uses: readonly BackendUse[],
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
    in_use: presentInUse(uses),
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...(owner ? { owner } : {}),
  };
  if (!fields) return view;
  const raw: CredentialRaw = rawFromFields(row.type as CredentialType, fields);
  return { ...view, raw };
}
