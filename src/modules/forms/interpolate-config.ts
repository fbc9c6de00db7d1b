import { FormsError, type FormsFile, interpolate, type Samples } from '../../engines/forms/index.js';
import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { linearRegExp } from '../../platform/text/linear-regexp.js';
import { sourceForTemplating } from '../catalog/repo.js';
import { stackConfig } from '../catalog/stack-config.js';
import { requireStack } from '../catalog/stacks.js';
import { backendToken } from '../external-backends/machine-token.js';
import { applicableBackend } from '../external-backends/repo.js';
import { requireEnvironmentScope } from '../projects/scope.js';

type ConfigView = components['schemas']['ServiceCatalogConfig'];
type TechView = components['schemas']['SCConfigTechConfig'];

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
 * stored. The use case is rendered for its place (stackConfig: destinations, pipeline and samples
 * through the stack templating engine), then the form's values are written into the samples by the
 * StackForms engine. Both engines run on the request's thread within their budgets (docs/stackforms.md).
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
  const source = await sourceForTemplating(db, stack.source_id);
  // Pipelines pass `inventory_jwt` to Terraform's HTTP backend: the token of the remote-state backend
  // serving this environment, when there is one (else a template using it is a 422 naming it).
  const backend = await applicableBackend(
    db,
    access.organization.id,
    'remote_tfstate',
    place.project,
    place.environment,
  );
  const configs = await stackConfig(
    db,
    access,
    stack,
    source,
    {
      project_canonical: place.project,
      environment_canonical: place.environment,
      component_canonical: input.component_canonical,
      component_name: input['component-name'],
    },
    backend ? { inventoryJwt: backendToken(backend, signer) } : {},
  );
  const config = configs[input.use_case];
  if (!config)
    throw unprocessable(`use_case: stack '${input.service_catalog_ref}' has no use case '${input.use_case}'`);
  if (!config.forms) {
    throw unprocessable(`use_case: stack '${input.service_catalog_ref}' has no usable form for '${input.use_case}'`);
  }
  const forms: FormsFile = { version: '3', use_cases: [config.forms as FormsFile['use_cases'][number]] };
  let result: ReturnType<typeof interpolate>;
  try {
    result = interpolate(forms, input.use_case, input.vars, {
      samples: samplesOf(config),
      compileRegExp: linearRegExp,
    });
  } catch (e) {
    // A sample that cannot be edited, or output past its budget: the stack's problem, named.
    if (e instanceof FormsError) throw unprocessable(`service_catalog_ref: ${e.message}`);
    throw e;
  }
  if (result.errors.length > 0) throw unprocessable(result.errors[0]!, result.errors);
  config.pipeline.variables.content = result.files.variables;
  writeBack(config.terraform, result.files.terraform);
  writeBack(config.ansible, result.files.ansible);
  return config;
}

/** The already placed samples: files a use case names but the stack lacks are left out. */
function samplesOf(config: ConfigView): Samples {
  const pick = (tech: TechView | undefined) =>
    Object.fromEntries(
      Object.entries(tech ?? {})
        .filter(([, entry]) => entry.path !== '')
        .map(([k, e]) => [k, e.content]),
    );
  return {
    variables: config.pipeline.variables.content,
    terraform: pick(config.terraform),
    ansible: pick(config.ansible),
  };
}

function writeBack(tech: TechView | undefined, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) if (tech?.[name]) tech[name].content = content;
}
