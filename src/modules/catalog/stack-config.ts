import { type PathDestination, repositoryPath, type UseCase } from '../../engines/stacks/index.js';
import { renderStackFile, type StackContext, TemplateError } from '../../engines/stacktpl/index.js';
import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import { type StackRow, stackContent } from './repo.js';
import { cachedStackForms, useCaseForm } from './stack-forms.js';

type ConfigsView = components['schemas']['ServiceCatalogConfigs'];
type ConfigView = components['schemas']['ServiceCatalogConfig'];
type PathDestView = components['schemas']['SCConfigPathDestConfig'];

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
 * stack templating engine; otherwise they are returned as written.
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
  /** What the caller knows beyond the query (the environment's `inventory_jwt`). */
  extra: Partial<StackContext> = {},
): Promise<ConfigsView> {
  const content = await stackContent(db, stack.id);
  const useCases = JSON.parse(content.use_cases) as UseCase[];
  const files = JSON.parse(content.files) as Record<string, string>;
  const chosen = query.use_case === undefined ? useCases : useCases.filter((u) => u.key === query.use_case);
  if (query.use_case !== undefined && chosen.length === 0) {
    throw notFound(
      `use_case: use case '${query.use_case}' of stack '${stack.organization_canonical}:${stack.canonical}'`,
    );
  }
  const placed =
    query.project_canonical !== undefined ||
    query.environment_canonical !== undefined ||
    query.component_canonical !== undefined ||
    query.component_name !== undefined;
  const base: StackContext = { ...stackContextOf(access, stack, source, query), ...extra };

  const forms = content.forms ? cachedStackForms(content.forms, content.version, base).forms : undefined;
  const out: ConfigsView = {};
  for (const useCase of chosen) {
    const context: StackContext = { ...base, useCase: useCase.key };
    const render = (text: string, name: string) => (placed ? renderText(text, name, content.version, context) : text);
    const fileOf = (path: string): { path: string; content: string } => {
      const full = repositoryPath(content.directory, path);
      return { path, content: render((full && files[full]) ?? '', full ?? path) };
    };
    const withDestination = (entry: PathDestination | undefined): PathDestView => ({
      ...fileOf(entry?.path ?? ''),
      destination: render(entry?.destination ?? '', `${useCase.key} destination`),
    });
    const tech = (name: string) => {
      const entries = useCase.files[name];
      if (!entries) return undefined;
      return Object.fromEntries(Object.entries(entries).map(([key, entry]) => [key, withDestination(entry)]));
    };
    const config: ConfigView = {
      name: useCase.name,
      description: useCase.description,
      cloud_provider: useCase.cloudProvider,
      pipeline: { pipeline: fileOf(useCase.pipeline ?? ''), variables: withDestination(useCase.variables) },
    };
    const form = useCaseForm(forms, useCase.key);
    if (form) config.forms = form as ConfigView['forms'];
    const terraform = tech('terraform');
    const ansible = tech('ansible');
    if (terraform) config.terraform = terraform;
    if (ansible) config.ansible = ansible;
    out[useCase.key] = config;
  }
  return out;
}

function renderText(text: string, name: string, version: string, context: StackContext): string {
  if (text === '') return text;
  try {
    return renderStackFile(text, { version, context, name }).output;
  } catch (error) {
    if (error instanceof TemplateError) throw unprocessable(`${name}: ${error.message}`);
    throw error;
  }
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
