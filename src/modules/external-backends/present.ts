import type { components } from '../../generated/contract.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import { isSet } from '../../platform/db/columns.js';
import { backendToken } from './machine-token.js';
import type { BackendRow } from './repo.js';

export type ExternalBackendView = components['schemas']['ExternalBackend'];

/** `withToken`: the machine token is a secret of sorts, shown only to those who may change the backend. */
export function presentBackend(row: BackendRow, signer: JwtSigner, withToken: boolean): ExternalBackendView {
  return {
    id: row.id,
    purpose: row.purpose,
    default: isSet(row.is_default),
    ...(row.credential_canonical ? { credential_canonical: row.credential_canonical } : {}),
    ...(row.project_canonical ? { project_canonical: row.project_canonical } : {}),
    ...(row.environment_canonical ? { environment_canonical: row.environment_canonical } : {}),
    ...(row.component_canonical ? { component_canonical: row.component_canonical } : {}),
    configuration: JSON.parse(row.configuration) as ExternalBackendView['configuration'],
    ...(withToken && row.purpose === 'remote_tfstate' ? { jwt: backendToken(row, signer) } : {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
