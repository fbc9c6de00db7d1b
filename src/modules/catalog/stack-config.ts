import type { UseCase } from '../../engines/stacks/index.js';
import type { StackContext } from '../../engines/stacktpl/index.js';
import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import { backendToken } from '../external-backends/machine-token.js';
import { applicableBackend } from '../external-backends/repo.js';
import { withComponentValues } from './component-values.js';
import { renderOnPool } from './render-pool.js';
import { type StackRow, sourceForTemplating, stackContent } from './repo.js';
import type { StackData } from './stack-render.js';

type ConfigsView = components['schemas']['ServiceCatalogConfigs'];

export interface ConfigQuery {
  use_case?: string;
  project_canonical?: string;
  environment_canonical?: string;
  component_canonical?: string;
  component_name?: string;
}

/**
 * The use cases of a stack with the content of each file they name. With a project, environment or
 * component in the query, destinations and contents are rendered for that place (notes §3) with the
 * stack templating engine; otherwise they are returned as written. Rendering runs on a render worker
 * (render-pool.ts), never on the request's thread.
 *
 * Forms: the stored `.forms.yml`, loaded and validated by the StackForms engine with the same context,
 * gives each use case its `forms` (FormUseCase). A broken forms file leaves `forms` out (the stack is
 * then not `form_enabled`, and indexing logged why).
 */
export async function stackConfig(
  db: DbHandle,
  access: Access,
  stack: StackRow,
  source: TemplatingSource,
  query: ConfigQuery,
): Promise<ConfigsView> {
  const data = await stackData(db, stack);
  if (query.use_case !== undefined && !useCaseKeys(data).includes(query.use_case)) {
    throw notFound(
      `use_case: use case '${query.use_case}' of stack '${stack.organization_canonical}:${stack.canonical}'`,
    );
  }
  const placed =
    query.project_canonical !== undefined ||
    query.environment_canonical !== undefined ||
    query.component_canonical !== undefined ||
    query.component_name !== undefined;
  const configs = await renderOnPool('stack.configs', {
    stack: data,
    context: stackContextOf(access, stack, source, query),
    placed,
    useCase: query.use_case,
  });
  // For an existing component, its forms show what it holds (`current`, `mismatch_values`).
  return withComponentValues(
    db,
    access,
    stack,
    {
      project: query.project_canonical,
      environment: query.environment_canonical,
      component: query.component_canonical,
    },
    configs,
  );
}

/** A stack's indexed content as the render tasks take it. */
export async function stackData(db: DbHandle, stack: StackRow): Promise<StackData> {
  const content = await stackContent(db, stack.id);
  return {
    ref: `${stack.organization_canonical}:${stack.canonical}`,
    canonical: stack.canonical,
    version: content.version,
    directory: content.directory,
    useCases: content.use_cases,
    files: content.files,
    forms: content.forms,
  };
}

/** The use case keys of a stack (its use cases are a small JSON text, read here to answer 404s early). */
export function useCaseKeys(data: StackData): string[] {
  return (JSON.parse(data.useCases) as UseCase[]).map((u) => u.key);
}

/** What stack templates may say about a stack's catalog repository (repo.ts sourceForTemplating). */
export interface TemplatingSource {
  canonical: string;
  name: string;
  url: string;
  branch: string;
  credential_type: string | null;
  credential_path: string | null;
}

/** The stack templating context of a stack placed in a project, environment and component (notes §3). */
export function stackContextOf(
  access: Access,
  stack: StackRow,
  source: TemplatingSource,
  query: Omit<ConfigQuery, 'use_case'>,
): StackContext {
  return {
    organization: access.organization.canonical,
    organizationName: access.organization.name,
    parentOrganization: access.chain[1]?.canonical,
    parentOrganizationName: access.chain[1]?.name,
    project: query.project_canonical,
    environment: query.environment_canonical,
    component: query.component_canonical ?? query.component_name,
    componentName: query.component_name,
    stack: stack.canonical,
    stackName: stack.name,
    stackPath: stack.directory === '/' ? '' : stack.directory,
    stackVersionName: source.branch,
    stackVersionType: 'branch',
    catalogRepository: source.canonical,
    catalogRepositoryName: source.name,
    catalogRepositoryUrl: source.url,
    catalogRepositoryBranch: source.branch,
    catalogRepositoryCredentialType: source.credential_type ?? undefined,
    catalogRepositoryCredentialPath: source.credential_path ?? undefined,
  };
}

/** A component's place: its project and environment, and the component when it is named. */
export interface Place {
  project: string;
  environment: string;
  component?: string;
  componentName?: string;
}

/**
 * The templating context of a stack rendered for a component's place, with `inventory_jwt`: pipelines
 * hand Terraform's HTTP backend the token of the remote-state backend serving that environment, when
 * there is one (without one, a template using it is a 422 naming it).
 */
export async function placedStackContext(
  db: DbHandle,
  access: Access,
  signer: JwtSigner,
  stack: StackRow,
  place: Place,
): Promise<StackContext> {
  const source = await sourceForTemplating(db, stack.source_id);
  const context = stackContextOf(access, stack, source, {
    project_canonical: place.project,
    environment_canonical: place.environment,
    component_canonical: place.component,
    component_name: place.componentName,
  });
  const backend = await applicableBackend(
    db,
    access.organization.id,
    'remote_tfstate',
    place.project,
    place.environment,
  );
  if (backend) context.inventoryJwt = backendToken(backend, signer);
  return context;
}
