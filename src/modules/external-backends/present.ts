import type { components } from '../../generated/contract.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import { isSet } from '../../platform/db/columns.js';
import type { BackendRow } from './repo.js';

export type ExternalBackendView = components['schemas']['ExternalBackend'];

/** 100 years: the token identifies the backend for machines (Terraform's HTTP backend), not a session. */
const MACHINE_TOKEN_SECONDS = 100 * 365 * 24 * 3600;

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

/**
 * The backend's machine token (the `inventory_jwt` of stacks): signed, stable for the backend's
 * lifetime (issued at its creation, with a fixed id), and useless as a session (another audience).
 */
function backendToken(row: BackendRow, signer: JwtSigner): string {
  return signer.signMachineToken({
    audience: 'gantry-external-backend',
    subject: `external_backend:${row.id}`,
    issuedAt: row.created_at,
    ttlSeconds: MACHINE_TOKEN_SECONDS,
    claims: {
      org_id: row.organization_id,
      ...(row.project_canonical ? { project: row.project_canonical } : {}),
      ...(row.environment_canonical ? { environment: row.environment_canonical } : {}),
      ...(row.component_canonical ? { component: row.component_canonical } : {}),
    },
  });
}
