import { defineOperations } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { createPolicyEvaluator } from './evaluation.js';
import { presentInfraPolicy } from './present.js';
import { findInfraPolicy } from './repo.js';
import {
  checkInfraPolicyInput,
  createInfraPolicy,
  deleteInfraPolicy,
  INFRA_POLICY_SORTABLE,
  infraPolicyNotFound,
  listInfraPolicies,
  newPolicyCanonical,
  updateInfraPolicy,
} from './service.js';
import { validatePlan } from './validation.js';

const policy = ownedPathEntity({
  param: 'infra_policy_canonical',
  find: findInfraPolicy,
  notFound: infraPolicyNotFound,
});
const onPolicy = (action: string) => policy.permission(action);
const target = (canonical: string) => `infra_policy:${canonical}`;

/**
 * Infrastructure policies (infrapolicies-and-cost.md §1): Rego checked on Terraform plans. Bodies are
 * compiled before they are saved and plans are evaluated on compute workers, within the configured
 * step and time budgets (docs/infra-policies.md).
 */
/** The largest request body of a plan validation (docs/infra-policies.md). */
export const PLAN_BODY_LIMIT = 32 * 1024 * 1024;

export function infraPoliciesModule(deps: ModuleDeps): Module {
  const evaluator = createPolicyEvaluator(deps.config.infraPolicies);
  const operations = defineOperations({
    getInfraPolicies: {
      // Any standing in the organization; the list holds only the policies the caller may read.
      permission: { action: null },
      sortable: INFRA_POLICY_SORTABLE,
      handler: (ctx) => listInfraPolicies(ctx.db, ctx.access!, ctx.query, ctx.paging, ctx.orderBy),
    },
    createInfraPolicy: {
      permission: { action: 'organization:infra_policy:create' },
      audit: { target: (_ctx, created) => target(created.canonical) },
      // The body is compiled on a worker before the transaction opens.
      prepare: (ctx) => checkInfraPolicyInput(evaluator, newPolicyCanonical(ctx.body), ctx.body),
      handler: (ctx) => createInfraPolicy(ctx.db, ctx.access!, ctx.body, ctx.prepared as string),
    },
    getInfraPolicy: {
      permission: onPolicy('organization:infra_policy:read'),
      handler: async (ctx) => presentInfraPolicy(await policy.require(ctx)),
    },
    updateInfraPolicy: {
      permission: onPolicy('organization:infra_policy:update'),
      audit: { target: (_ctx, updated) => target(updated.canonical) },
      prepare: (ctx) => checkInfraPolicyInput(evaluator, ctx.params.infra_policy_canonical, ctx.body),
      handler: async (ctx) =>
        updateInfraPolicy(ctx.db, ctx.access!, await policy.require(ctx), ctx.body, ctx.prepared as string),
    },
    deleteInfraPolicy: {
      permission: onPolicy('organization:infra_policy:delete'),
      audit: { target: (ctx) => target(ctx.params.infra_policy_canonical) },
      handler: async (ctx) => {
        await deleteInfraPolicy(ctx.db, await policy.require(ctx));
      },
    },
    validateProjectInfraPolicies: {
      permission: { action: 'organization:infra_policy:validate' },
      // Plans of large infrastructures run to tens of MB; the default limit is 1 MiB.
      bodyLimit: PLAN_BODY_LIMIT,
      // Computes a report and changes nothing.
      noAudit: true,
      handler: (ctx) =>
        validatePlan(
          ctx.db,
          evaluator,
          ctx.access!,
          { project: ctx.params.project_canonical, environment: ctx.params.environment_canonical },
          ctx.body.tfplan,
        ),
    },
  });
  return {
    name: 'infra-policies',
    operations,
    ownedKinds: [{ kind: 'infra_policy', table: 'infra_policies' }],
    stop: () => evaluator.close(),
  };
}
