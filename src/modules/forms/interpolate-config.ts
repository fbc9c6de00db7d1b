import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { withComponentValues } from '../catalog/component-values.js';
import { renderOnPool } from '../catalog/render-pool.js';
import { placedStackContext, stackData, useCaseKeys } from '../catalog/stack-config.js';
import { requireStack } from '../catalog/stacks.js';
import { requireEnvironmentScope } from '../projects/scope.js';

type ConfigView = components['schemas']['ServiceCatalogConfig'];

export interface InterpolateInput {
  service_catalog_ref: string;
  use_case: string;
  component_canonical: string;
  'component-name'?: string;
  vars: components['schemas']['FormVariables'];
}

const STACK_REF = /^[^:]+:[^:]+$/;

/**
 * interpolateFormsConfig: the configuration a component of `use_case` would get with `vars`, nothing
 * stored. The use case is rendered for its place (destinations, pipeline and samples through the stack
 * templating engine), then the form's values are written into the samples by the StackForms engine.
 * Both engines run on a render worker within their budgets (docs/stackforms.md), off the request's thread.
 */
export async function interpolateFormsConfig(
  db: DbHandle,
  access: Access,
  signer: JwtSigner,
  place: { project: string; environment: string },
  input: InterpolateInput,
): Promise<ConfigView> {
  await requireEnvironmentScope(db, access.organization.id, place.project, place.environment);
  if (!STACK_REF.test(input.service_catalog_ref)) {
    throw unprocessable("service_catalog_ref: expected '<organization>:<stack canonical>'");
  }
  const stack = await requireStack(db, access, input.service_catalog_ref);
  const data = await stackData(db, stack);
  if (!useCaseKeys(data).includes(input.use_case)) {
    throw unprocessable(`use_case: stack '${input.service_catalog_ref}' has no use case '${input.use_case}'`);
  }
  const context = await placedStackContext(db, access, signer, stack, {
    ...place,
    component: input.component_canonical,
    componentName: input['component-name'],
  });
  const config = await renderOnPool('stack.interpolate', {
    stack: { ...data, ref: input.service_catalog_ref },
    context,
    useCase: input.use_case,
    vars: input.vars,
  });
  // For an existing component, the form shows what it holds, as getServiceCatalogConfig does.
  const componentPlace = { ...place, component: input.component_canonical };
  return (await withComponentValues(db, access, stack, componentPlace, { [input.use_case]: config }))[input.use_case]!;
}
