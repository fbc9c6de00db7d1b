/**
 * Every action code the server knows: the single source for `getPolicies` and for validating role
 * and API key rules. A test checks that every permission an operation declares is listed here.
 */
export interface PolicyDefinition {
  code: string;
  description: string;
  entities: string[];
}

const CRUD = ['create', 'read', 'list', 'update', 'delete'] as const;

const ENTITIES: Array<{ path: string; label: string; verbs: readonly string[] }> = [
  { path: 'organization', label: 'organizations', verbs: CRUD },
  { path: 'organization:children', label: 'child organizations', verbs: ['create', 'read'] },
  { path: 'organization:member', label: 'organization members and invitations', verbs: CRUD },
  { path: 'organization:team', label: 'teams', verbs: CRUD },
  { path: 'organization:team:member', label: 'team members', verbs: ['create', 'read', 'delete'] },
  { path: 'organization:role', label: 'roles', verbs: CRUD },
  { path: 'organization:api_key', label: 'API keys', verbs: CRUD },
  { path: 'organization:policy', label: 'the policy catalog', verbs: ['read'] },
  { path: 'organization:event', label: 'events', verbs: ['create', 'read'] },
  { path: 'organization:project', label: 'projects', verbs: [...CRUD, 'favorite'] },
  { path: 'organization:project:environment', label: 'environments', verbs: CRUD },
  {
    path: 'organization:project:environment:component',
    label: 'components',
    verbs: [...CRUD, 'migrate'],
  },
  {
    path: 'organization:project:environment:component:pipeline',
    label: 'pipelines',
    verbs: [...CRUD, 'pause', 'unpause', 'rename', 'diff', 'synced'],
  },
  { path: 'organization:pipeline', label: 'pipelines (organization-wide views)', verbs: ['read', 'list'] },
  { path: 'organization:project:kpi', label: 'KPIs', verbs: [...CRUD, 'favorite'] },
  { path: 'organization:credential', label: 'credentials', verbs: CRUD },
  { path: 'organization:config_repository', label: 'config repositories', verbs: CRUD },
  {
    path: 'organization:service_catalog_source',
    label: 'catalog repositories',
    verbs: [...CRUD, 'refresh', 'validate'],
  },
  { path: 'organization:service_catalog', label: 'stacks', verbs: [...CRUD, 'template'] },
  { path: 'organization:external_backend', label: 'external backends', verbs: CRUD },
  { path: 'organization:infra_policy', label: 'infrastructure policies', verbs: [...CRUD, 'validate'] },
  { path: 'organization:appearance', label: 'appearances', verbs: CRUD },
  { path: 'organization:licence', label: 'the licence', verbs: ['read', 'update'] },
  { path: 'organization:subscription', label: 'the subscription', verbs: ['create'] },
  { path: 'organization:inventory', label: 'inventory resources', verbs: CRUD },
  { path: 'organization:quota', label: 'quotas', verbs: CRUD },
  { path: 'organization:resource_pool', label: 'resource pools', verbs: CRUD },
  { path: 'organization:cloud_cost_management', label: 'cloud cost management', verbs: CRUD },
  { path: 'organization:infra_import', label: 'infrastructure imports', verbs: ['create', 'read'] },
  { path: 'organization:cost_estimation', label: 'cost estimations', verbs: ['create'] },
  { path: 'organization:worker', label: 'workers', verbs: ['read'] },
  { path: 'organization:log', label: 'log sources', verbs: ['read'] },
  // Added after the first catalog: appended, so the positional ids of the codes above never move.
  // Pipeline internals hang off `organization:pipeline` (entities: pipeline name, job, build or resource):
  // below the component path they would exceed the contract's 60 characters for a code.
  {
    path: 'organization:pipeline:job',
    label: 'pipeline jobs',
    verbs: ['read', 'list', 'pause', 'unpause', 'clear_task_cache'],
  },
  { path: 'organization:pipeline:job:build', label: 'builds', verbs: ['create', 'read', 'list', 'abort', 'rerun'] },
  {
    path: 'organization:pipeline:resource',
    label: 'pipeline resources',
    verbs: ['read', 'list', 'check', 'pin', 'unpin', 'version_enable', 'version_disable'],
  },
  { path: 'organization:form', label: 'stack forms', verbs: ['read', 'validate'] },
  { path: 'organization:repository_branch', label: 'repository branches', verbs: ['list'] },
  {
    path: 'organization:code_generation',
    label: 'code generation (Terraform providers, imports)',
    verbs: ['read', 'list'],
  },
  { path: 'organization:cloud_provider', label: 'cloud providers', verbs: ['read', 'list'] },
  { path: 'organization:infra_import', label: 'infrastructure imports', verbs: ['delete', 'retry'] },
  { path: 'organization:running_infra', label: 'running infrastructure', verbs: ['read', 'list'] },
];

const VERB_TEXT: Record<string, string> = {
  create: 'Create',
  read: 'Read',
  list: 'List',
  update: 'Change',
  delete: 'Delete',
  clear_task_cache: 'Clear the task caches of',
  version_enable: 'Enable versions of',
  version_disable: 'Disable versions of',
};

export const POLICIES: PolicyDefinition[] = ENTITIES.flatMap(({ path, label, verbs }) =>
  verbs.map((verb) => ({
    code: `${path}:${verb}`,
    description: `${VERB_TEXT[verb] ?? `${verb[0].toUpperCase()}${verb.slice(1).replace(/_/g, ' ')} on`} ${label}`,
    entities: path.split(':'),
  })),
);

const CODES = new Set(POLICIES.map((p) => p.code));

export function isKnownAction(code: string): boolean {
  return CODES.has(code);
}

/** Action globs in rules must match at least one known code, so typos are refused. */
export function actionGlobMatchesSomething(
  glob: string,
  matches: (pattern: string, value: string) => boolean,
): boolean {
  for (const code of CODES) if (matches(glob, code)) return true;
  return false;
}
