import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import { canSeeAll } from '../../platform/authz/grants.js';
import { CANONICAL, canonicalFromName } from '../../platform/canonical.js';
import type { Vault } from '../../platform/crypto/sealing.js';
import { flag, nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { NOTHING } from '../../platform/db/listing.js';
import { canonicalTaken, conflict, notFound, unprocessable } from '../../platform/errors.js';
import type { Git } from '../../platform/git/index.js';
import type { Paging } from '../../platform/http/paging.js';
import type { GitUrlPolicy } from '../../platform/net/git-url.js';
import { visibleOwnedIds } from '../../platform/ownership/lookups.js';
import { asFieldError, checkedCredential, checkedTarget, openRemote } from './git-remote.js';
import { type ConfigRepositoryView, presentConfigRepository } from './present.js';
import {
  type ConfigRepositoryRow,
  clearDefault,
  configRepositoryQuery,
  findConfigRepository,
  hasConfigRepository,
  projectsUsing,
} from './repo.js';

/** A new repository; an update's body is the same without the canonical. */
export type ConfigRepositoryInput = components['schemas']['NewConfigRepository'];

/** What a config repository operation needs beside the database: git, its URL policy, the vault. */
export interface GitDeps {
  git: Git;
  policy: GitUrlPolicy;
  vault: Vault;
}

export const configRepositoryNotFound = (canonical: string) => notFound(`config repository '${canonical}'`);

/**
 * Config repositories the caller may see (all with list or read on the collection, else those its
 * scoped rules or ownership reach), or only the default (`default=true`). No pagination in
 * the contract's answer, but the page is still cut in SQL.
 */
export async function listConfigRepositories(
  db: DbHandle,
  access: Access,
  filters: { default?: boolean },
  paging: Paging,
): Promise<ConfigRepositoryView[]> {
  const orgId = access.organization.id;
  let query = configRepositoryQuery(db, orgId);
  if (!canSeeAll(access, 'organization:config_repository')) {
    const ids = await visibleOwnedIds(db, 'config_repositories', orgId, (r) =>
      access.can('organization:config_repository:read', [r.canonical], r.owner_user_id),
    );
    query = ids.length > 0 ? query.where('config_repositories.id', 'in', ids) : query.where(NOTHING);
  }
  // The contract defaults `default` to false, so false cannot mean "only the others": it means no filter.
  if (filters.default === true) query = query.where('config_repositories.is_default', '=', 1);
  const rows = await query.orderBy('config_repositories.id').limit(paging.size).offset(paging.offset).execute();
  return rows.map(presentConfigRepository);
}

/**
 * Runs before the transaction (git I/O holds no lock): the URL passes the git URL policy, the credential
 * exists and suits the URL's transport, and the branch exists on the remote (`ls-remote`). Returns the
 * credential's id for the write.
 */
export async function checkRemote(
  db: DbHandle,
  deps: GitDeps,
  organizationId: number,
  input: Pick<ConfigRepositoryInput, 'name' | 'url' | 'branch' | 'credential_canonical'>,
): Promise<number> {
  // The contract puts no bound on the name: an empty one would show as nothing in every list.
  if (input.name.trim() === '') throw unprocessable('name: must not be empty');
  const target = checkedTarget(input.url, deps.policy);
  const credential = await checkedCredential(db, organizationId, input.credential_canonical, target);
  const remote = await openRemote(db, deps.vault, organizationId, input.url, target, credential.id);
  let branches: { name: string }[];
  try {
    branches = await deps.git.listBranches(remote);
  } catch (error) {
    throw asFieldError(error, 'url');
  }
  if (!branches.some((b) => b.name === input.branch)) {
    const known = branches.slice(0, 10).map((b) => b.name);
    throw unprocessable(
      `branch: '${input.branch}' does not exist in ${input.url}${known.length > 0 ? ` (branches: ${known.join(', ')}${branches.length > known.length ? ', ...' : ''})` : ' (the repository has no branch yet)'}`,
    );
  }
  return credential.id;
}

async function demandFreeCanonical(db: DbHandle, access: Access, canonical: string): Promise<void> {
  if (await findConfigRepository(db, access.organization.id, canonical)) {
    throw canonicalTaken('config repository', canonical, access.organization);
  }
}

/**
 * Inside the transaction. `default: true` takes the flag from the previous default; the organization's
 * first config repository is its default whatever was sent. The partial unique index makes a concurrent
 * second default a 409 rather than two defaults.
 */
export async function createConfigRepository(
  db: DbHandle,
  access: Access,
  input: ConfigRepositoryInput,
  credentialId: number,
): Promise<ConfigRepositoryView> {
  const orgId = access.organization.id;
  const canonical = input.canonical ?? canonicalFromName(input.name);
  if (!CANONICAL.test(canonical)) throw unprocessable(`canonical: '${canonical}' is not a valid canonical`);
  await demandFreeCanonical(db, access, canonical);
  const isDefault = input.default || !(await hasConfigRepository(db, orgId));
  if (isDefault) await clearDefault(db, orgId);
  const now = nowSeconds();
  await db
    .insertInto('config_repositories')
    .values({
      organization_id: orgId,
      canonical,
      name: input.name,
      url: input.url,
      branch: input.branch,
      credential_id: credentialId,
      is_default: flag(isDefault),
      owner_user_id: access.actor.userId,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return presentConfigRepository((await findConfigRepository(db, orgId, canonical))!);
}

/** Inside the transaction; the canonical never changes (UpdateConfigRepository has none). */
export async function updateConfigRepository(
  db: DbHandle,
  access: Access,
  row: ConfigRepositoryRow,
  input: ConfigRepositoryInput,
  credentialId: number,
): Promise<ConfigRepositoryView> {
  const orgId = access.organization.id;
  if (input.default) await clearDefault(db, orgId, row.id);
  await db
    .updateTable('config_repositories')
    .set({
      name: input.name,
      url: input.url,
      branch: input.branch,
      credential_id: credentialId,
      is_default: flag(input.default),
      updated_at: nowSeconds(),
    })
    .where('id', '=', row.id)
    .execute();
  return presentConfigRepository((await findConfigRepository(db, orgId, row.canonical))!);
}

/** Refused while projects commit to it, naming them: a project without its config repository is broken. */
export async function deleteConfigRepository(db: DbHandle, row: ConfigRepositoryRow): Promise<void> {
  const projects = await projectsUsing(db, row.id);
  if (projects.length > 0) {
    throw conflict(
      `config repository '${row.canonical}' is used by ${projects.length} project(s); move them to another config repository first`,
      projects.map((p) => `project ${p}`),
    );
  }
  await db.deleteFrom('config_repositories').where('id', '=', row.id).execute();
}
