import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';

export interface PlanScope {
  project: string;
  environment: string;
}

/**
 * The project and environment a plan is validated for must exist in the organization (404 otherwise).
 * Projects and environments belong to the projects module; until it is wired here, every canonical the
 * contract's pattern admits is accepted, and the policies still see it as `input.tfrun`.
 */
export async function demandPlanScope(_db: DbHandle, _access: Access, _scope: PlanScope): Promise<void> {}
