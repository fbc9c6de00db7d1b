import type { FastifyBaseLogger } from 'fastify';
import type { FileProblem } from '../../engines/stacks/index.js';
import type { Access } from '../../platform/authz/access.js';
import { canonicalFromName } from '../../platform/canonical.js';
import type { Vault } from '../../platform/crypto/sealing.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { canonicalTaken, forbidden, notFound, unprocessable } from '../../platform/errors.js';
import type { Git } from '../../platform/git/index.js';
import { type GitUrlPolicy, gitUrlProblem } from '../../platform/net/git-url.js';
import { ownerAfterUpdate, ownerInBody } from '../../platform/ownership/input.js';
import { gitCredential } from '../credentials/lookup.js';
import { remoteOf, withFieldErrors } from './git.js';
import { type ChangesView, presentSource, presentStack, type SourceView } from './present.js';
import { findSource, type SourceRow, sourceQuery, stacksByIds, stacksOfSource, teamByCanonical } from './repo.js';
import { INDEX_VERSION, remoteHead, type Scan, scanRepository } from './scan.js';
import { applyScan, type IndexChanges, markRefreshed } from './sync.js';
import { demandStacksUnused } from './usage.js';

export interface CatalogDeps {
  git: Git;
  vault: Vault;
  urlPolicy: GitUrlPolicy;
  log: FastifyBaseLogger;
}

/** Runs `write` in one transaction with the operation's audit record (git I/O stays before it). */
export type InTransaction = <T>(write: (trx: DbHandle) => Promise<T>) => Promise<T>;

export const VISIBILITIES = ['shared', 'local', 'hidden'] as const;
export const sourceNotFound = (canonical: string) => notFound(`catalog repository '${canonical}'`);

export interface NewSourceInput {
  name: string;
  url: string;
  branch: string;
  canonical?: string;
  credential_canonical?: string;
  owner?: string;
  team_canonical?: string;
  visibility?: string;
}

export interface UpdateSourceInput {
  name: string;
  url: string;
  branch?: string;
  credential_canonical?: string;
  owner?: string;
}

export async function listSources(db: DbHandle, organizationId: number): Promise<SourceView[]> {
  const rows = await sourceQuery(db, organizationId).orderBy('catalog_sources.canonical').execute();
  return rows.map((row) => presentSource(row));
}

export async function readSource(db: DbHandle, row: SourceRow): Promise<SourceView> {
  return presentSource(row, { stacks: await stacksOfSource(db, row.id) });
}

export function demandVisibility(visibility: string): string {
  if (!(VISIBILITIES as readonly string[]).includes(visibility)) {
    throw unprocessable(`visibility: '${visibility.slice(0, 50)}' is not one of ${VISIBILITIES.join(', ')}`);
  }
  return visibility;
}

/** A team of the organization named in a body, or 422 naming `team_canonical`. */
export async function teamInBody(db: DbHandle, access: Access, canonical: string | undefined): Promise<number | null> {
  if (canonical === undefined) return null;
  const team = await teamByCanonical(db, access.organization.id, canonical);
  if (!team) {
    throw unprocessable(
      `team_canonical: team '${canonical}' does not exist in organization '${access.organization.canonical}'`,
    );
  }
  return Number(team.id);
}

/** The credential named in a body: a git credential of the organization the caller may read. */
async function credentialInBody(db: DbHandle, access: Access, canonical: string | undefined): Promise<number | null> {
  if (canonical === undefined) return null;
  const credential = await gitCredential(db, access.organization.id, canonical);
  // Using a credential sends its secret to the URL's server: only someone who may read it may do that.
  if (!access.can('organization:credential:read', [credential.canonical])) {
    throw forbidden(`credential_canonical: you may not use credential '${credential.canonical}'`);
  }
  return credential.id;
}

const MAX_NAME = 200;
const CANONICAL = /^[a-z0-9]+[a-z0-9\-_]+[a-z0-9]+$/;

function demandName(name: string): void {
  if (name.trim() === '' || name.length > MAX_NAME) throw unprocessable(`name: 1 to ${MAX_NAME} characters`);
}

function demandUrl(url: string, policy: GitUrlPolicy): void {
  const problem = gitUrlProblem(url, policy);
  if (problem) throw unprocessable(`url: ${problem}`);
}

async function demandFreeCanonical(db: DbHandle, access: Access, canonical: string): Promise<void> {
  const taken = await db
    .selectFrom('catalog_sources')
    .select('id')
    .where('organization_id', '=', access.organization.id)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  if (taken) throw canonicalTaken('catalog repository', canonical, access.organization);
}

/**
 * Registers a catalog repository: checks the body, fetches and reads the branch (outside any
 * transaction), then writes the source and its whole index in one transaction.
 */
export async function createSource(
  db: DbHandle,
  deps: CatalogDeps,
  access: Access,
  input: NewSourceInput,
  inTransaction: InTransaction,
): Promise<SourceView> {
  demandName(input.name);
  const canonical = input.canonical ?? canonicalFromName(input.name);
  if (!CANONICAL.test(canonical) || canonical.length > 100) {
    throw unprocessable(`canonical: '${canonical.slice(0, 100)}' derived from the name is not a canonical; give one`);
  }
  const visibility = demandVisibility(input.visibility ?? 'local');
  const teamId = await teamInBody(db, access, input.team_canonical);
  const credentialId = await credentialInBody(db, access, input.credential_canonical);
  const ownerId = input.owner !== undefined ? await ownerInBody(db, access, input.owner) : access.actor.userId;
  // The contract requires a catalog repository's owner (an API key without one must name one).
  if (ownerId === null || ownerId === undefined) throw unprocessable('owner: a catalog repository needs an owner');
  demandUrl(input.url, deps.urlPolicy);
  await demandFreeCanonical(db, access, canonical);

  const orgId = access.organization.id;
  const remote = await remoteOf(db, deps.vault, orgId, { url: input.url, credential_id: credentialId });
  const scan = (await withFieldErrors(() => scanRepository(deps.git, remote, input.branch)))!;
  logProblems(deps.log, canonical, scan);

  const changes = await inTransaction(async (trx) => {
    const now = nowSeconds();
    const row = await trx
      .insertInto('catalog_sources')
      .values({
        organization_id: orgId,
        canonical,
        name: input.name,
        url: input.url,
        branch: input.branch,
        credential_id: credentialId,
        owner_user_id: ownerId,
        team_id: teamId,
        visibility,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const target = { id: Number(row.id), organization_id: orgId, firstIndexing: true, visibility, team_id: teamId };
    return (await applyScan(trx, target, scan)).changes;
  });
  const source = (await findSource(db, orgId, canonical))!;
  return presentSource(source, { stacks: await stacksByIds(db, changes.created) });
}

export async function updateSource(
  db: DbHandle,
  deps: CatalogDeps,
  access: Access,
  source: SourceRow,
  input: UpdateSourceInput,
  inTransaction: InTransaction,
): Promise<SourceView> {
  demandName(input.name);
  const orgId = access.organization.id;
  const branch = input.branch ?? source.branch;
  const credentialId =
    input.credential_canonical === undefined
      ? source.credential_id
      : await credentialInBody(db, access, input.credential_canonical);
  const ownerId = await ownerAfterUpdate(
    db,
    access,
    source.owner_user_id,
    input.owner,
    `catalog repository '${source.canonical}'`,
  );
  if (ownerId === null && input.owner !== undefined) {
    throw unprocessable('owner: a catalog repository needs an owner');
  }
  demandUrl(input.url, deps.urlPolicy);
  const moved = input.url !== source.url || branch !== source.branch || credentialId !== source.credential_id;
  let scan: Scan | null = null;
  if (moved) {
    const remote = await remoteOf(db, deps.vault, orgId, { url: input.url, credential_id: credentialId });
    scan = await withFieldErrors(() => scanRepository(deps.git, remote, branch));
    logProblems(deps.log, source.canonical, scan!);
  }
  const changes = await inTransaction(async (trx) => {
    await trx
      .updateTable('catalog_sources')
      .set({
        name: input.name,
        url: input.url,
        branch,
        credential_id: credentialId,
        owner_user_id: ownerId,
        updated_at: nowSeconds(),
      })
      .where('id', '=', source.id)
      .execute();
    if (!scan) return undefined;
    const target = { ...source, firstIndexing: false };
    return (await applyScan(trx, target, scan)).changes;
  });
  const row = (await findSource(db, orgId, source.canonical))!;
  return presentSource(row, {
    stacks: await stacksOfSource(db, row.id),
    ...(changes ? { changes: await presentChanges(db, changes) } : {}),
  });
}

/**
 * Re-reads the branch and brings the index in line: `{created, updated, deleted}`; a tip already
 * indexed (by this indexer version) changes nothing and is not read again.
 */
export async function refreshSource(
  db: DbHandle,
  deps: CatalogDeps,
  source: SourceRow,
  inTransaction: InTransaction,
): Promise<ChangesView> {
  const remote = await remoteOf(db, deps.vault, source.organization_id, source);
  const known = source.index_version === INDEX_VERSION ? source.indexed_commit : null;
  // Asking for the tip (ls-remote) is cheaper than fetching: an unchanged branch is not fetched at all.
  const head = known ? await withFieldErrors(() => remoteHead(deps.git, remote, source.branch)) : undefined;
  const scan =
    head !== undefined && head === known
      ? null
      : await withFieldErrors(() => scanRepository(deps.git, remote, source.branch, known));
  if (scan) logProblems(deps.log, source.canonical, scan);
  const changes = await inTransaction(async (trx) => {
    if (!scan) {
      await markRefreshed(trx, source.id);
      return { created: [], updated: [], deleted: [] };
    }
    return (await applyScan(trx, { ...source, firstIndexing: false }, scan)).changes;
  });
  return presentChanges(db, changes);
}

/** Checks the repository can be fetched with its credential and that every stack reads (422 listing them). */
export async function validateSource(db: DbHandle, deps: CatalogDeps, source: SourceRow): Promise<void> {
  const remote = await remoteOf(db, deps.vault, source.organization_id, source);
  const scan = (await withFieldErrors(() => scanRepository(deps.git, remote, source.branch)))!;
  if (scan.problems.length > 0) {
    throw unprocessable(
      `catalog repository '${source.canonical}': ${scan.problems.length} stack file(s) cannot be read`,
      scan.problems.map(describeProblem),
    );
  }
}

export async function deleteSource(db: DbHandle, source: SourceRow): Promise<void> {
  const stacks = await db.selectFrom('catalog_stacks').select('id').where('source_id', '=', source.id).execute();
  await demandStacksUnused(
    db,
    stacks.map((s) => s.id),
    `a stack of catalog repository '${source.canonical}'`,
  );
  await db.deleteFrom('catalog_stacks').where('source_id', '=', source.id).execute();
  await db.deleteFrom('catalog_sources').where('id', '=', source.id).execute();
}

export async function presentChanges(db: DbHandle, changes: IndexChanges): Promise<ChangesView> {
  const [created, updated] = await Promise.all([stacksByIds(db, changes.created), stacksByIds(db, changes.updated)]);
  return {
    created: created.map(presentStack),
    updated: updated.map(presentStack),
    deleted: changes.deleted.map(presentStack),
  };
}

export function describeProblem(p: FileProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.reason}`;
}

/** Stacks that cannot be read are logged with the source (and kept in its row for validate). */
export function logProblems(log: FastifyBaseLogger, source: string, scan: Scan): void {
  for (const problem of scan.problems) {
    log.warn(
      { catalog_source: source, file: problem.file, line: problem.line },
      `stack skipped: ${describeProblem(problem)}`,
    );
  }
  for (const warning of scan.warnings) {
    log.info(
      { catalog_source: source, file: warning.file, line: warning.line },
      `stack read with a fallback: ${describeProblem(warning)}`,
    );
  }
}
