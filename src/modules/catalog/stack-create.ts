import { newStackDefinition, parseStackDefinition, StackFileError } from '../../engines/stacks/index.js';
import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import type { StackView } from './present.js';
import type { CatalogDeps, InTransaction } from './sources.js';
import { commitNewStack, planNewStack } from './stack-write.js';

export type NewStackBody = components['schemas']['NewServiceCatalog'];

/**
 * createServiceCatalog: a new stack folder `<canonical>/` in one of the organization's catalog
 * repositories, holding a `.cycloid.yml` written from the request (no use case yet), committed by the
 * caller and indexed with the request's visibility and team.
 */
export async function createStack(
  db: DbHandle,
  deps: CatalogDeps,
  access: Access,
  input: NewStackBody,
  inTransaction: InTransaction,
): Promise<StackView> {
  const plan = await planNewStack(db, access, input);
  const marker = newStackDefinition({
    name: plan.name,
    canonical: plan.canonical,
    author: input.author,
    description: input.description,
    keywords: input.keywords,
    image: input.image,
    technologies: input.technologies,
    dependencies: input.dependencies,
  });
  // The file must read back as a stack before anything is committed (a field too long for the catalog).
  try {
    parseStackDefinition(marker, '.cycloid.yml');
  } catch (error) {
    if (error instanceof StackFileError) throw unprocessable(error.problem.reason);
    throw error;
  }
  return commitNewStack(
    db,
    deps,
    access,
    plan,
    [{ path: '.cycloid.yml', content: marker }],
    `Create stack ${plan.canonical}`,
    inTransaction,
  );
}
