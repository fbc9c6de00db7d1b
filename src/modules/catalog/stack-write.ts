import type { Access } from '../../platform/authz/access.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { commitAuthor } from '../../platform/commit-author.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { canonicalTaken, conflict, unprocessable } from '../../platform/errors.js';
import { remoteOf, withFieldErrors } from './git.js';
import { presentStack, type StackView } from './present.js';
import { findSource, findStack, type SourceRow } from './repo.js';
import { scanRepository } from './scan.js';
import {
  type CatalogDeps,
  demandVisibility,
  describeProblem,
  type InTransaction,
  logProblems,
  teamInBody,
} from './sources.js';
import { applyScan } from './sync.js';

/** What a new stack's request says besides its files (NewServiceCatalog, NewServiceCatalogFromTemplate). */
export interface NewStackInput {
  name: string;
  canonical?: string;
  service_catalog_source_canonical: string;
  visibility?: string;
  team_canonical?: string;
}

/** A new stack's request, checked: where it goes and how it is stamped. */
export interface NewStackPlan {
  name: string;
  canonical: string;
  target: SourceRow;
  visibility: string;
  teamId: number | null;
}

const CANONICAL = /^[a-z0-9]+[a-z0-9\-_]+[a-z0-9]+$/;
const MAX_NAME = 200;

/**
 * Checks a new stack's request before any git I/O: name, canonical (derived from the name when
 * omitted), visibility, team, the catalog repository it goes to (one of the organization's), and a
 * canonical no stack of the organization has (409).
 */
export async function planNewStack(db: DbHandle, access: Access, input: NewStackInput): Promise<NewStackPlan> {
  if (input.name.trim() === '' || input.name.length > MAX_NAME)
    throw unprocessable(`name: 1 to ${MAX_NAME} characters`);
  const canonical = input.canonical ?? canonicalFromName(input.name);
  if (canonical.length > 100 || !CANONICAL.test(canonical)) {
    throw unprocessable(`canonical: '${canonical.slice(0, 100)}' derived from the name is not a canonical; give one`);
  }
  const visibility = demandVisibility(input.visibility ?? 'local');
  const teamId = await teamInBody(db, access, input.team_canonical);
  const target = await findSource(db, access.organization.id, input.service_catalog_source_canonical);
  if (!target) {
    throw unprocessable(
      `service_catalog_source_canonical: catalog repository '${input.service_catalog_source_canonical}' does not exist in organization '${access.organization.canonical}'`,
    );
  }
  if (await findStack(db, access.organization.id, canonical))
    throw canonicalTaken('stack', canonical, access.organization);
  return { name: input.name, canonical, target, visibility, teamId };
}

/**
 * Commits a new stack's files under `<canonical>/` of its catalog repository (one commit authored by
 * the caller; a push the remote rejects because the branch moved is retried once, then 409), reads the
 * repository again and indexes it, stamping the stack with the request's visibility and team in the
 * same transaction as the audit record. A folder of that name already in the repository is a 409 and
 * nothing is committed.
 */
export async function commitNewStack(
  db: DbHandle,
  deps: CatalogDeps,
  access: Access,
  plan: NewStackPlan,
  files: { path: string; content: string | Buffer }[],
  title: string,
  inTransaction: InTransaction,
): Promise<StackView> {
  const { target, canonical } = plan;
  const author = await commitAuthor(db, access);
  const remote = await remoteOf(db, deps.vault, target.organization_id, target);
  const field = 'service_catalog_source_canonical';
  const { dir, commit } = await withFieldErrors(() => deps.git.sync(remote, target.branch), field);
  const existing = await deps.git.listFiles(dir, commit, canonical);
  if (existing.length > 0) {
    throw conflict(`canonical: folder '${canonical}/' already exists in catalog repository '${target.canonical}'`);
  }
  await withFieldErrors(
    () =>
      deps.git.commitAndPush({
        remote,
        branch: target.branch,
        author,
        message: `${title}\n\n${files
          .slice(0, 50)
          .map((f) => `- ${canonical}/${f.path}`)
          .join('\n')}`,
        files: files.map((f) => ({ path: `${canonical}/${f.path}`, content: f.content })),
      }),
    field,
  );
  const scan = (await withFieldErrors(() => scanRepository(deps.git, remote, target.branch), field))!;
  logProblems(deps.log, target.canonical, scan);
  const stack = await inTransaction(async (trx) => {
    await applyScan(trx, { ...target, firstIndexing: false }, scan);
    await trx
      .updateTable('catalog_stacks')
      .set({ visibility: plan.visibility, team_id: plan.teamId, updated_at: nowSeconds() })
      .where('organization_id', '=', target.organization_id)
      .where('source_id', '=', target.id)
      .where('canonical', '=', canonical)
      .execute();
    return findStack(trx, target.organization_id, canonical);
  });
  if (!stack) {
    // Committed but not indexed (a marker the scan refused): say why; the repository keeps the files.
    const problems = scan.problems.filter((p) => p.file.startsWith(`${canonical}/`)).map(describeProblem);
    throw unprocessable(`canonical: the stack was committed but cannot be indexed`, problems);
  }
  return presentStack(stack);
}
