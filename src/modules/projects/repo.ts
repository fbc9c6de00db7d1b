import type { DbHandle } from '../../platform/db/database.js';
import { prepared } from '../../platform/db/prepared.js';
import { OWNER_COLUMNS } from '../../platform/ownership/present.js';

/** Projects of an organization with their owner, team and config repository canonical (one row each). */
export function projectQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('projects')
    .innerJoin('config_repositories as cr', 'cr.id', 'projects.config_repository_id')
    .leftJoin('teams as team', 'team.id', 'projects.team_id')
    .leftJoin('users as owner', 'owner.id', 'projects.owner_user_id')
    .where('projects.organization_id', '=', organizationId)
    .select([
      'projects.id',
      'projects.organization_id',
      'projects.canonical',
      'projects.name',
      'projects.description',
      'projects.color',
      'projects.icon',
      'projects.cloud_provider',
      'projects.config_repository_id',
      'projects.team_id',
      'projects.owner_user_id',
      'projects.created_at',
      'projects.updated_at',
      'cr.canonical as config_repository_canonical',
      'team.canonical as team_canonical',
      'team.name as team_name',
      'team.created_at as team_created_at',
      'team.updated_at as team_updated_at',
      ...OWNER_COLUMNS,
    ]);
}

export type ProjectRow = Awaited<ReturnType<ReturnType<typeof projectQuery>['executeTakeFirstOrThrow']>>;

const projectByCanonical = prepared((db, p: { org: number; canonical: string }) =>
  projectQuery(db, p.org).where('projects.canonical', '=', p.canonical),
);

export function findProject(db: DbHandle, organizationId: number, canonical: string): Promise<ProjectRow | undefined> {
  return projectByCanonical.first(db, { org: organizationId, canonical });
}

const ENVIRONMENT_COLUMNS = [
  'environments.id',
  'environments.project_id',
  'environments.canonical',
  'environments.name',
  'environments.color',
  'environments.created_at',
  'environments.updated_at',
] as const;

/** Environments of an organization's projects, each with its project's canonical. */
export function environmentQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('environments')
    .innerJoin('projects', 'projects.id', 'environments.project_id')
    .where('environments.organization_id', '=', organizationId)
    .select([...ENVIRONMENT_COLUMNS, 'projects.canonical as project_canonical']);
}

export type EnvironmentRow = Awaited<ReturnType<ReturnType<typeof environmentQuery>['executeTakeFirstOrThrow']>>;

export function findEnvironment(
  db: DbHandle,
  organizationId: number,
  projectId: number,
  canonical: string,
): Promise<EnvironmentRow | undefined> {
  return environmentQuery(db, organizationId)
    .where('environments.project_id', '=', projectId)
    .where('environments.canonical', '=', canonical)
    .executeTakeFirst();
}

/** The environments of a page of projects, in creation order: one query. */
export async function environmentsOf(
  db: DbHandle,
  organizationId: number,
  projectIds: readonly number[],
): Promise<Map<number, EnvironmentRow[]>> {
  const byProject = new Map<number, EnvironmentRow[]>(projectIds.map((id) => [id, []]));
  if (projectIds.length === 0) return byProject;
  const rows = await environmentQuery(db, organizationId)
    .where('environments.project_id', 'in', [...projectIds])
    .orderBy('environments.id')
    .execute();
  for (const row of rows) byProject.get(row.project_id)?.push(row);
  return byProject;
}

/** Which of a page of projects the user marked as favorite: one query. */
export async function favoritesOf(
  db: DbHandle,
  userId: number | null,
  projectIds: readonly number[],
): Promise<Set<number>> {
  if (userId === null || projectIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('project_favorites')
    .select('project_id')
    .where('user_id', '=', userId)
    .where('project_id', 'in', [...projectIds])
    .execute();
  return new Set(rows.map((r) => r.project_id));
}

/**
 * External backends (and so log sources) scoped to a project, or to one of its environments: they name
 * them by canonical, so a project or environment they name cannot be deleted (see docs/projects.md).
 */
export async function backendsScopedTo(
  db: DbHandle,
  organizationId: number,
  project: string,
  environment?: string,
): Promise<{ id: number; purpose: string; engine: string; environment_canonical: string | null }[]> {
  let query = db
    .selectFrom('external_backends')
    .select(['id', 'purpose', 'engine', 'environment_canonical'])
    .where('organization_id', '=', organizationId)
    .where('project_canonical', '=', project);
  if (environment !== undefined) query = query.where('environment_canonical', '=', environment);
  return query.orderBy('id').execute();
}
