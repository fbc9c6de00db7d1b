import type { Vault } from '../../platform/crypto/sealing.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import type { GitCredential } from '../../platform/git/index.js';
import { openFields } from './secrets.js';

/** Credential types a git remote accepts: an ssh key, or a username and password over https. */
export const GIT_CREDENTIAL_TYPES = ['ssh', 'basic_auth'] as const;

export interface GitCredentialRef {
  id: number;
  canonical: string;
  type: string;
  path: string;
}

/**
 * A credential of the organization usable for git, by canonical, without opening it: 404 naming
 * `field` when it does not exist, 422 when its type is not a git one.
 */
export async function findGitCredential(
  db: DbHandle,
  organizationId: number,
  canonical: string,
  field = 'credential_canonical',
): Promise<GitCredentialRef> {
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'canonical', 'type', 'path'])
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  if (!row) throw notFound(`${field}: credential '${canonical}'`);
  if (!(GIT_CREDENTIAL_TYPES as readonly string[]).includes(row.type)) {
    throw unprocessable(
      `${field}: credential '${canonical}' is of type ${row.type}; git repositories take ${GIT_CREDENTIAL_TYPES.join(' or ')}`,
    );
  }
  return { id: Number(row.id), canonical: row.canonical, type: row.type, path: row.path };
}

/** The opened credential for the git layer (server use only: never returned to a client or logged). */
export async function openGitCredential(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  credentialId: number,
): Promise<GitCredential | undefined> {
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'organization_id', 'type', 'sealed_raw', 'builtin'])
    .where('organization_id', '=', organizationId)
    .where('id', '=', credentialId)
    .executeTakeFirst();
  if (!row) return undefined;
  const fields = await openFields(vault, row);
  if (row.type === 'ssh') return { kind: 'ssh', privateKey: fields.ssh_key ?? '' };
  if (row.type === 'basic_auth')
    return { kind: 'basic', username: fields.username ?? '', password: fields.password ?? '' };
  return undefined;
}
