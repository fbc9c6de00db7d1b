import { type BlueprintVariables, blueprintFiles, STACK_MARKERS, type UseCase } from '../../engines/stacks/index.js';
import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import { commitAuthor } from '../../platform/commit-author.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { remoteOf, withFieldErrors } from './git.js';
import type { StackView } from './present.js';
import { renderOnPool } from './render-pool.js';
import { findSourceById, type StackRow, stackContent } from './repo.js';
import type { CatalogDeps, InTransaction } from './sources.js';
import { asBuffer } from './stack-render.js';
import { commitNewStack, type NewStackPlan, planNewStack } from './stack-write.js';
import { requireStack } from './stacks.js';

export type BlueprintBody = components['schemas']['NewServiceCatalogFromTemplate'];

/**
 * createServiceCatalogFromTemplate (stacks-and-catalogs.md §6): the blueprint's files for one use
 * case, rendered with the `($> <$)` layer, committed as `<canonical>/` of the target catalog repository
 * and indexed. Everything is checked and rendered before the commit: a failure commits nothing.
 */
export async function createFromBlueprint(
  db: DbHandle,
  deps: CatalogDeps,
  access: Access,
  ref: string,
  input: BlueprintBody,
  apiUrl: string,
  inTransaction: InTransaction,
): Promise<StackView> {
  const blueprint = await requireStack(db, access, ref);
  if (blueprint.blueprint !== 1) {
    throw unprocessable(
      `service_catalog_ref: stack '${ref}' is not a blueprint (its .cycloid.yml has no 'template: true')`,
    );
  }
  await demandUseCase(db, blueprint, ref, input.use_case);
  const plan = await planNewStack(db, access, input);
  const variables: BlueprintVariables = {
    stack_usecase: input.use_case,
    stack_author: input.author ?? (await commitAuthor(db, access)).name,
    stack_canonical: plan.canonical,
    stack_path: plan.canonical,
    scs_canonical: plan.target.canonical,
    scs_cred_path: plan.target.credential_path ?? '',
    scs_cred_type: plan.target.credential_type ?? '',
    api_url: apiUrl,
  };
  const { files, warnings } = await renderOrRefuse(
    await readBlueprint(db, deps, blueprint, input.use_case),
    variables,
    plan,
  );
  // Unset variables render empty, as in stack templates; the blueprint's author finds them in the log.
  if (warnings.length > 0) deps.log.warn({ blueprint: ref, warnings }, 'blueprint rendered with unset variables');
  return commitNewStack(
    db,
    deps,
    access,
    plan,
    files,
    `Create stack ${plan.canonical} from blueprint ${ref} (use case ${input.use_case})`,
    inTransaction,
  );
}

async function demandUseCase(db: DbHandle, blueprint: StackRow, ref: string, useCase: string): Promise<void> {
  const content = await stackContent(db, blueprint.id);
  const keys = (JSON.parse(content.use_cases) as UseCase[]).map((u) => u.key);
  if (!keys.includes(useCase)) {
    const known = keys.length > 0 ? `its use cases: ${keys.join(', ')}` : 'it has no use case';
    throw unprocessable(`use_case: '${useCase.slice(0, 100)}' is not a use case of blueprint '${ref}' (${known})`);
  }
}

/** The blueprint's files the use case takes, read at the tip of its catalog repository (git I/O). */
async function readBlueprint(db: DbHandle, deps: CatalogDeps, blueprint: StackRow, useCase: string) {
  const source = (await findSourceById(db, blueprint.organization_id, blueprint.source_id))!;
  const remote = await remoteOf(db, deps.vault, source.organization_id, source);
  const field = 'service_catalog_ref';
  const { dir, commit } = await withFieldErrors(() => deps.git.sync(remote, source.branch), field);
  const prefix = blueprint.directory === '/' ? '' : `${blueprint.directory}/`;
  const listing = await deps.git.listFiles(dir, commit, prefix === '' ? undefined : blueprint.directory);
  // Symbolic links are never followed, so never copied either.
  const relative = listing.filter((f) => !f.symlink).map((f) => f.path.slice(prefix.length));
  const wanted = blueprintFiles(relative, useCase);
  const read = await deps.git.readFiles(
    dir,
    commit,
    wanted.map((p) => prefix + p),
  );
  return wanted.flatMap((path) => {
    const content = read.get(prefix + path);
    return content ? [{ path, content }] : [];
  });
}

/**
 * Renders the files on a render worker (stack-render.ts renderBlueprintFiles), which also checks that
 * the new `.cycloid.yml` reads as a stack: every failure is a 422 naming the file.
 */
async function renderOrRefuse(
  files: { path: string; content: Buffer }[],
  variables: BlueprintVariables,
  plan: NewStackPlan,
): Promise<{ files: { path: string; content: Buffer }[]; warnings: string[] }> {
  if (!files.some((f) => STACK_MARKERS.includes(f.path))) {
    throw unprocessable(
      'service_catalog_ref: the blueprint has no .cycloid.yml at its tip any more; refresh its catalog repository',
    );
  }
  const rendered = await renderOnPool('stack.blueprint', {
    files,
    variables,
    rename: { name: plan.name, canonical: plan.canonical },
  });
  return {
    files: rendered.files.map((f) => ({ path: f.path, content: asBuffer(f.content) })),
    warnings: rendered.warnings,
  };
}
