import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';
import { forbidden, unprocessable } from '../../platform/errors.js';
import { gitUrlProblem } from '../../platform/net/git-url.js';
import { gitCredential } from '../credentials/lookup.js';
import { remoteOf, withFieldErrors } from './git.js';
import type { CatalogDeps } from './sources.js';

/** Branch names of a remote (`ls-remote --heads`), `[]` for an empty repository (getRepoBranches). */
export async function repoBranches(
  db: DbHandle,
  deps: CatalogDeps,
  access: Access,
  query: { git_url: string; credential_canonical?: string },
): Promise<string[]> {
  const problem = gitUrlProblem(query.git_url, deps.urlPolicy);
  if (problem) throw unprocessable(`git_url: ${problem}`);
  let credentialId: number | null = null;
  if (query.credential_canonical !== undefined) {
    const credential = await gitCredential(db, access.organization.id, query.credential_canonical);
    if (!access.can('organization:credential:read', [credential.canonical])) {
      throw forbidden(`credential_canonical: you may not use credential '${credential.canonical}'`);
    }
    credentialId = credential.id;
  }
  const remote = await remoteOf(db, deps.vault, access.organization.id, {
    url: query.git_url,
    credential_id: credentialId,
  });
  const branches = await withFieldErrors(() => deps.git.listBranches(remote), 'git_url');
  return branches.map((b) => b.name).sort();
}
