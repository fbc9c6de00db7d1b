import type { DbHandle } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';

/**
 * For operations of other modules under `/projects/{project}/environments/{environment}` (log
 * sources): a project or environment that does not exist in the organization is a 404, as for the
 * project's own operations, rather than an empty answer about a scope nobody created.
 */
export async function requireEnvironmentScope(
  db: DbHandle,
  organizationId: number,
  project: string,
  environment: string,
): Promise<void> {
  const row = await db
    .selectFrom('environments')
    .innerJoin('projects', 'projects.id', 'environments.project_id')
    .select('environments.id')
    .where('projects.organization_id', '=', organizationId)
    .where('projects.canonical', '=', project)
    .where('environments.canonical', '=', environment)
    .executeTakeFirst();
  if (!row) throw notFound(`environment '${environment}' of project '${project}'`);
}
