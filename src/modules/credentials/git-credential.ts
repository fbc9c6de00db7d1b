import type { Vault } from '../../platform/crypto/sealing.js';
import type { DbHandle } from '../../platform/db/database.js';
import type { GitCredential } from '../../platform/git/index.js';
import { openFields } from './secrets.js';

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
