import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';
import { requireEnvironmentScope } from '../projects/scope.js';

export interface PlanScope {
  project: string;
  environment: string;
}

/**
 * The project and environment a plan is validated for must exist in the organization: a 404 otherwise,
 * as for the project's own operations. Policies see them as `input.tfrun`.
 */
export function demandPlanScope(db: DbHandle, access: Access, scope: PlanScope): Promise<void> {
  return requireEnvironmentScope(db, access.organization.id, scope.project, scope.environment);
}
