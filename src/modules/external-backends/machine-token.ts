import type { JwtSigner } from '../../platform/crypto/jwt.js';
import type { DbHandle } from '../../platform/db/database.js';
import { type BackendRow, findBackend } from './repo.js';

/** Another audience than sessions': a machine token is never accepted as a login. */
const AUDIENCE = 'gantry-external-backend';
/** 100 years: the token identifies the backend for machines (Terraform's HTTP backend), not a session. */
const MACHINE_TOKEN_SECONDS = 100 * 365 * 24 * 3600;
const SUBJECT = /^external_backend:(\d{1,10})$/;

/**
 * The backend's machine token (the `inventory_jwt` of stacks): signed, the same between reads of the
 * same generation (`token_version`), so configurations holding it keep working until it is rotated.
 */
export function backendToken(row: BackendRow, signer: JwtSigner): string {
  return signer.signMachineToken({
    audience: AUDIENCE,
    subject: `external_backend:${row.id}`,
    issuedAt: row.created_at,
    ttlSeconds: MACHINE_TOKEN_SECONDS,
    claims: {
      jti: `external_backend:${row.id}:${row.token_version}`,
      ver: row.token_version,
      org_id: row.organization_id,
      ...(row.project_canonical ? { project: row.project_canonical } : {}),
      ...(row.environment_canonical ? { environment: row.environment_canonical } : {}),
      ...(row.component_canonical ? { component: row.component_canonical } : {}),
    },
  });
}

/**
 * The remote-state backend a machine token stands for, or undefined: a token of an earlier generation
 * (rotated), of a deleted backend, or of a backend that no longer keeps Terraform state is refused.
 * Its scope is the backend's current one, not the one the token was issued with.
 */
export async function backendOfToken(db: DbHandle, signer: JwtSigner, token: string): Promise<BackendRow | undefined> {
  const claims = signer.verifyMachineToken(token, AUDIENCE);
  const id = SUBJECT.exec(typeof claims?.sub === 'string' ? claims.sub : '')?.[1];
  if (!claims || id === undefined || typeof claims.org_id !== 'number') return undefined;
  const row = await findBackend(db, claims.org_id, Number(id));
  if (!row || row.token_version !== claims.ver || row.purpose !== 'remote_tfstate') return undefined;
  return row;
}
