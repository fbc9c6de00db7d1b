import type { DbHandle } from '../../platform/db/database.js';

/** Components of an organization with their environment and project (one row each). */
export function componentQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('components')
    .innerJoin('environments as env', 'env.id', 'components.environment_id')
    .innerJoin('projects as project', 'project.id', 'components.project_id')
    .where('components.organization_id', '=', organizationId)
    .select([
      'components.id',
      'components.organization_id',
      'components.project_id',
      'components.environment_id',
      'components.stack_id',
      'components.stack_ref',
      'components.stack_version',
      'components.canonical',
      'components.name',
      'components.description',
      'components.use_case',
      'components.cloud_provider',
      'components.vars',
      'components.created_at',
      'components.updated_at',
      'env.canonical as environment_canonical',
      'env.name as environment_name',
      'env.color as environment_color',
      'env.created_at as environment_created_at',
      'env.updated_at as environment_updated_at',
      'project.canonical as project_canonical',
      'project.name as project_name',
      'project.description as project_description',
      'project.created_at as project_created_at',
      'project.updated_at as project_updated_at',
    ]);
}

export type ComponentRow = Awaited<ReturnType<ReturnType<typeof componentQuery>['executeTakeFirstOrThrow']>>;

export function findComponent(
  db: DbHandle,
  organizationId: number,
  environmentId: number,
  canonical: string,
): Promise<ComponentRow | undefined> {
  return componentQuery(db, organizationId)
    .where('components.environment_id', '=', environmentId)
    .where('components.canonical', '=', canonical)
    .executeTakeFirst();
}

export function findComponentById(db: DbHandle, organizationId: number, id: number): Promise<ComponentRow> {
  return componentQuery(db, organizationId).where('components.id', '=', id).executeTakeFirstOrThrow();
}

/** Components of the environment made from stacks before v4 (not component-aware), but `except`. */
export function legacyComponentsOf(db: DbHandle, environmentId: number, except?: number) {
  let query = db
    .selectFrom('components')
    .select(['id', 'canonical', 'stack_ref'])
    .where('environment_id', '=', environmentId)
    .where('stack_version', 'in', ['1', '2', '3']);
  if (except !== undefined) query = query.where('id', '!=', except);
  return query.execute();
}

/** For the catalog's usage check: who uses these stacks, described for a 409. */
export async function componentsUsingStacks(db: DbHandle, stackIds: number[]): Promise<string[]> {
  const rows = await db
    .selectFrom('components')
    .innerJoin('environments as env', 'env.id', 'components.environment_id')
    .innerJoin('projects as project', 'project.id', 'components.project_id')
    .select(['components.canonical', 'env.canonical as environment', 'project.canonical as project'])
    .where('components.stack_id', 'in', stackIds)
    .orderBy('components.id')
    .execute();
  return rows.map((r) => `component '${r.canonical}' of project '${r.project}', environment '${r.environment}'`);
}
