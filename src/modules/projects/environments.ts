import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { NOTHING } from '../../platform/db/listing.js';
import { conflict, notFound } from '../../platform/errors.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { type EnvironmentView, presentEnvironment } from './present.js';
import { backendsScopedTo, type EnvironmentRow, environmentQuery, findEnvironment, type ProjectRow } from './repo.js';
import { describeBackend, visibleProjectIds } from './service.js';

/** The contract's environment canonical (letters of both cases, digits, `-._` inside). */
const ENVIRONMENT_CANONICAL = /^[\da-zA-Z]+(?:[\da-zA-Z\-._]+[\da-zA-Z]|[\da-zA-Z])$/;
const DEFAULT_COLOR = 'default';

export const environmentNotFound = (project: string, canonical: string) =>
  notFound(`environment '${canonical}' of project '${project}'`);

/** A new environment; an update's body is the same without the canonical. */
export type EnvironmentInput = components['schemas']['NewEnvironment'];

export async function listProjectEnvironments(
  db: DbHandle,
  access: Access,
  project: ProjectRow,
  paging: Paging,
): Promise<Page<EnvironmentView>> {
  const query = environmentQuery(db, access.organization.id)
    .where('environments.project_id', '=', project.id)
    .orderBy('environments.id');
  const page = await fetchPage(query, paging);
  return new Page(page.items.map(presentEnvironment), page.total, page.paging);
}

/** Environments of every project the caller may read, in creation order. */
export async function listOrganizationEnvironments(
  db: DbHandle,
  access: Access,
  paging: Paging,
): Promise<Page<EnvironmentView>> {
  let query = environmentQuery(db, access.organization.id);
  const visible = await visibleProjectIds(db, access);
  if (visible) query = visible.length > 0 ? query.where('projects.id', 'in', visible) : query.where(NOTHING);
  const page = await fetchPage(query.orderBy('environments.id'), paging);
  return new Page(page.items.map(presentEnvironment), page.total, page.paging);
}

export async function createEnvironment(
  db: DbHandle,
  access: Access,
  project: ProjectRow,
  input: EnvironmentInput,
): Promise<EnvironmentView> {
  const orgId = access.organization.id;
  let canonical = input.canonical ?? canonicalFromName(input.name);
  // Derived canonicals follow the stricter project pattern, which environment canonicals always accept.
  if (!ENVIRONMENT_CANONICAL.test(canonical)) canonical = canonicalFromName(canonical);
  if (await findEnvironment(db, orgId, project.id, canonical)) {
    throw conflict(`canonical: environment '${canonical}' already exists in project '${project.canonical}'`);
  }
  const now = nowSeconds();
  await db
    .insertInto('environments')
    .values({
      organization_id: orgId,
      project_id: project.id,
      canonical,
      name: input.name,
      color: input.color ?? DEFAULT_COLOR,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return presentEnvironment((await findEnvironment(db, orgId, project.id, canonical))!);
}

/** Name and color only: the canonical is what pipelines, config paths and backends name. */
export async function updateEnvironment(
  db: DbHandle,
  access: Access,
  project: ProjectRow,
  row: EnvironmentRow,
  input: EnvironmentInput,
): Promise<EnvironmentView> {
  await db
    .updateTable('environments')
    .set({ name: input.name, color: input.color ?? row.color, updated_at: nowSeconds() })
    .where('id', '=', row.id)
    .execute();
  return presentEnvironment((await findEnvironment(db, access.organization.id, project.id, row.canonical))!);
}

/** Refused (409) while external backends or log sources are scoped to the environment. */
export async function deleteEnvironment(
  db: DbHandle,
  access: Access,
  project: ProjectRow,
  row: EnvironmentRow,
): Promise<void> {
  const backends = await backendsScopedTo(db, access.organization.id, project.canonical, row.canonical);
  if (backends.length > 0) {
    throw conflict(
      `environment '${row.canonical}' of project '${project.canonical}' is the scope of ${backends.length} external backend(s); delete or rescope them first`,
      backends.map(describeBackend),
    );
  }
  await db.deleteFrom('environments').where('id', '=', row.id).execute();
}
