// The values a stack template sees, under every alias Cycloid's stack engine gives them.

import type { GoMap, Value } from './values.js';

/** What is known about the place a stack is rendered for. Empty or missing values are left out. */
export interface StackContext {
  organization?: string;
  organizationName?: string;
  parentOrganization?: string;
  parentOrganizationName?: string;
  project?: string;
  projectName?: string;
  projectOwner?: string;
  projectOwnerName?: string;
  projectOwnerSurname?: string;
  projectOwnerEmail?: string;
  environment?: string;
  environmentName?: string;
  environmentType?: string;
  environmentTypeName?: string;
  component?: string;
  componentName?: string;
  useCase?: string;
  stackformUpdatedByUser?: string;
  stackformUpdatedByUserEmail?: string;
  currentUserUsername?: string;
  currentUserEmail?: string;
  catalogRepository?: string;
  catalogRepositoryName?: string;
  catalogRepositoryUrl?: string;
  catalogRepositoryBranch?: string;
  catalogRepositoryCredentialType?: string;
  catalogRepositoryCredentialPath?: string;
  stack?: string;
  stackName?: string;
  stackPath?: string;
  stackVersionName?: string;
  stackVersionCommit?: string;
  stackVersionType?: string;
  configRepository?: string;
  configRepositoryName?: string;
  configRepositoryUrl?: string;
  configRepositoryBranch?: string;
  configRepositoryCredentialType?: string;
  configRepositoryCredentialPath?: string;
  inventoryJwt?: string;
  apiUrl?: string;
  consoleUrl?: string;
  /** Defaults to `<project>/<environment>/<component>` when those three are known. */
  configRoot?: string;
  /** Per-environment variables (`.env_vars.<key>`). */
  envVars?: GoMap;
  /** Cloud accounts of the environment, keyed by provider (`.env_providers.aws...`). */
  envProviders?: GoMap;
}

/** Template variable names for each context field: every alias yields the same value. */
export const STACK_ALIASES: Record<Exclude<keyof StackContext, 'envVars' | 'envProviders'>, string[]> = {
  organization: ['org', 'organization', 'org_canonical', 'organization_canonical'],
  organizationName: ['org_name', 'organization_name'],
  parentOrganization: ['parent_org', 'parent_organization', 'parent_org_canonical', 'parent_organization_canonical'],
  parentOrganizationName: ['parent_org_name', 'parent_organization_name'],
  project: ['project', 'project_canonical'],
  projectName: ['project_name'],
  projectOwner: ['project_owner', 'project_owner_canonical'],
  projectOwnerName: ['project_owner_name'],
  projectOwnerSurname: ['project_owner_surname'],
  projectOwnerEmail: ['project_owner_email'],
  environment: ['env', 'environment', 'env_canonical', 'environment_canonical'],
  environmentName: ['env_name', 'environment_name'],
  environmentType: ['env_type', 'environment_type', 'env_type_canonical', 'environment_type_canonical'],
  environmentTypeName: ['env_type_name', 'environment_type_name'],
  component: ['component', 'component_canonical'],
  componentName: ['component_name'],
  useCase: ['use_case'],
  // `stackform_last_update_user_*` are the names a backend test stack of special variables uses.
  stackformUpdatedByUser: [
    'stackform_updated_by_user',
    'stackform_updated_by_user_username',
    'stackform_last_update_user_can',
  ],
  stackformUpdatedByUserEmail: ['stackform_updated_by_user_email', 'stackform_last_update_user_email'],
  currentUserUsername: ['current_user_username'],
  currentUserEmail: ['current_user_email'],
  catalogRepository: ['catalog_repository', 'catalog_repository_canonical', 'scs_canonical'],
  catalogRepositoryName: ['catalog_repository_name', 'scs_name'],
  catalogRepositoryUrl: ['catalog_repository_url', 'scs_url'],
  catalogRepositoryBranch: ['catalog_repository_branch', 'scs_branch'],
  catalogRepositoryCredentialType: ['catalog_repository_credential_type', 'scs_cred_type'],
  catalogRepositoryCredentialPath: ['catalog_repository_credential_path', 'scs_cred_path'],
  stack: ['stack', 'stack_canonical'],
  stackName: ['stack_name'],
  stackPath: ['stack_path'],
  stackVersionName: ['stack_version_name', 'stack_version_ref'],
  stackVersionCommit: ['stack_version_commit'],
  stackVersionType: ['stack_version_type'],
  configRepository: ['config_repository', 'config_repository_canonical'],
  configRepositoryName: ['config_repository_name'],
  configRepositoryUrl: ['config_repository_url', 'cr_url'],
  configRepositoryBranch: ['config_repository_branch', 'cr_branch'],
  configRepositoryCredentialType: ['config_repository_credential_type', 'cr_cred_type'],
  configRepositoryCredentialPath: ['config_repository_credential_path', 'cr_cred_path'],
  inventoryJwt: ['inventory_jwt'],
  apiUrl: ['api_url'],
  consoleUrl: ['console_url'],
  configRoot: ['config_root'],
};

/** `<project>/<environment>/<component>` when all three are known. */
export function configRootOf(ctx: StackContext): string | undefined {
  if (ctx.configRoot) return ctx.configRoot;
  if (ctx.project && ctx.environment && ctx.component) return `${ctx.project}/${ctx.environment}/${ctx.component}`;
  return undefined;
}

/** The data map of a v3+ stack template: every alias of every known value, nothing for unknown ones. */
export function stackTemplateData(ctx: StackContext): GoMap {
  const data: GoMap = Object.create(null) as GoMap;
  const full: StackContext = { ...ctx, configRoot: configRootOf(ctx) };
  for (const [field, names] of Object.entries(STACK_ALIASES) as [keyof typeof STACK_ALIASES, string[]][]) {
    const v = full[field];
    if (typeof v === 'string' && v !== '') for (const n of names) data[n] = v;
  }
  if (ctx.envVars && Object.keys(ctx.envVars).length > 0) {
    data.env_vars = ctx.envVars as Value;
    data.environment_vars = ctx.envVars as Value;
  }
  if (ctx.envProviders && Object.keys(ctx.envProviders).length > 0) {
    data.env_providers = ctx.envProviders as Value;
    data.environment_providers = ctx.envProviders as Value;
  }
  return data;
}

/** Every top-level variable name a stack template may use. */
export function knownStackVariables(): string[] {
  return [
    ...Object.values(STACK_ALIASES).flat(),
    'env_vars',
    'environment_vars',
    'env_providers',
    'environment_providers',
  ];
}
