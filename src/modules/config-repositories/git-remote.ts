import type { Vault } from '../../platform/crypto/sealing.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { type GitCredential, GitError, type GitRemote } from '../../platform/git/index.js';
import { type GitTarget, GitUrlError, type GitUrlPolicy, parseGitUrl } from '../../platform/net/git-url.js';
import { type CredentialRef, credentialById, GIT_CREDENTIAL_TYPES, gitCredential } from '../credentials/lookup.js';

/** The credential type each transport takes (config-repositories.md: `private_key` vs `username/password`). */
const TYPE_FOR: Record<Exclude<GitTarget['kind'], 'local'>, 'ssh' | 'basic_auth'> = {
  ssh: 'ssh',
  https: 'basic_auth',
};

/** The URL as the git URL policy reads it, or a 422 naming `url` and the rule it broke. */
export function checkedTarget(url: string, policy: GitUrlPolicy): GitTarget {
  try {
    return parseGitUrl(url, policy);
  } catch (error) {
    if (error instanceof GitUrlError) throw unprocessable(`url: ${error.message}`);
    throw error;
  }
}

/**
 * The credential a body names, checked against the URL's transport: ssh URLs take an `ssh` credential,
 * https URLs a `basic_auth` one; a local repository (operators' installs) takes either and uses none.
 */
export function checkedCredential(
  db: DbHandle,
  organizationId: number,
  canonical: string,
  target: GitTarget,
): Promise<CredentialRef> {
  const types = target.kind === 'local' ? GIT_CREDENTIAL_TYPES : [TYPE_FOR[target.kind]];
  return gitCredential(db, organizationId, canonical, { types });
}

/** The remote git reaches, with the credential's secret opened for this one operation. */
export async function openRemote(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  url: string,
  target: GitTarget,
  credentialId: number,
): Promise<GitRemote> {
  if (target.kind === 'local') return { url };
  const { fields } = await credentialById(db, vault, organizationId, credentialId);
  const credential: GitCredential =
    target.kind === 'ssh'
      ? { kind: 'ssh', privateKey: fields.ssh_key ?? '' }
      : { kind: 'basic', username: fields.username ?? '', password: fields.password ?? '' };
  return { url, credential };
}

/** Failures that are the body's fault (a wrong URL, credential or branch) are 422s naming the field. */
export function asFieldError(error: unknown, field: string): unknown {
  if (!(error instanceof GitError)) return error;
  if (['refused', 'invalid', 'not-found', 'host-key', 'too-large'].includes(error.reason)) {
    return unprocessable(`${field}: ${error.message}`);
  }
  if (error.reason === 'auth') return unprocessable(`credential_canonical: ${error.message}`);
  return error;
}
