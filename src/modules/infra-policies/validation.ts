import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { located, type PolicyEvaluator } from './evaluation.js';
import { presentValidation, type ValidationResultView } from './present.js';
import { enabledInfraPolicies } from './repo.js';
import { demandPlanScope, type PlanScope } from './scope.js';

/**
 * Checks a Terraform plan against every enabled policy of the organization (all of them apply to every
 * project and environment: the contract has no way to attach a policy to some). The policies read the
 * plan as `input.tfplan` and where it is applied as `input.tfrun`. A policy that cannot be evaluated
 * fails the whole validation with a 422 naming it, rather than passing silently.
 */
export async function validatePlan(
  db: DbHandle,
  evaluator: PolicyEvaluator,
  access: Access,
  scope: PlanScope,
  tfplan: string,
): Promise<ValidationResultView> {
  await demandPlanScope(db, access, scope);
  const rows = await enabledInfraPolicies(db, access.organization.id);
  const tfrun = {
    organization: { canonical: access.organization.canonical },
    project: { canonical: scope.project },
    environment: { canonical: scope.environment },
  };
  // The plan is parsed and checked on the worker even when no policy is enabled: a bad plan is a 422 either way.
  const outcomes = await evaluator.validate(
    tfplan,
    tfrun,
    rows.map((row) => ({ canonical: row.canonical, body: row.body })),
  );
  const failures = outcomes.flatMap((o) =>
    'failure' in o ? [`infra policy '${o.canonical}': ${o.failure.kind} error${located(o.failure)}`] : [],
  );
  if (failures.length > 0) {
    const first = failures[0];
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    throw unprocessable(`${first}${more}`, failures);
  }
  const byCanonical = new Map(rows.map((row) => [row.canonical, row]));
  return presentValidation(
    outcomes.flatMap((o) =>
      'reasons' in o && o.reasons !== null ? [{ row: byCanonical.get(o.canonical)!, reasons: o.reasons }] : [],
    ),
  );
}
