import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogRepo } from '../helpers/catalog-repos.js';
import { configRepoFixture } from '../helpers/config-repos.js';
import type { TestOrg, TestUser } from '../helpers/factories.js';
import type { TestServer } from '../helpers/server.js';
import { contract } from './operation-tables.js';

/**
 * One of everything an organization holds, created through the API by its admin, so generated
 * requests can name real entities: path parameter values, body hints (canonicals, usernames) and the
 * strings that must never reach another tenant.
 */
export interface Resources {
  /** Path parameter values naming the resources (organization_canonical excluded). */
  params: Record<string, string>;
  /** Body and query values by property name. */
  hints: Record<string, unknown>;
  /** Strings only this organization's members may see. */
  secrets: Set<string>;
  /** The kinds created, to prove the fixture did not shrink. */
  created: string[];
  /** The admin's membership id. */
  adminMemberId: number;
}

export const RESOURCE_KINDS = [
  'role',
  'team',
  'team member',
  'API key',
  'credential',
  'external backend',
  'infra policy',
  'event',
  'member invitation',
  'config repository',
  'project',
  'environment',
  'project favorite',
  'catalog repository',
  'component',
] as const;

let sweepCatalog: string | undefined;

/** One local catalog repository with one form-less v4 stack, shared by every organization of a run. */
function sweepCatalogUrl(): string {
  sweepCatalog ??= catalogRepo(mkdtempSync(join(tmpdir(), 'gantry-sweep-catalog-')), 'sweep-stacks', {
    main: {
      files: {
        '.cycloid.yml': `version: '4'
name: Sweep stack
canonical: sweep-stack
description: A stack for the sweeps
author: Gantry
config:
  default:
    name: Default
    description: The default use case
    pipeline:
      pipeline:
        path: pipeline/pipeline.yml
      variables:
        path: pipeline/variables.sample.yml
        destination: '($ .config_root $)/pipeline/variables.yml'
`,
        'pipeline/pipeline.yml': 'jobs: []\n',
        'pipeline/variables.sample.yml': 'component: ($ .component $)\n',
      },
    },
  });
  return sweepCatalog;
}

export async function createResources(
  server: TestServer,
  admin: { user: TestUser; org: TestOrg; token: string },
  tag = randomBytes(3).toString('hex'),
): Promise<Resources> {
  const out: Resources = { params: {}, hints: {}, secrets: new Set(), created: [], adminMemberId: 0 };
  const { org, user, token } = admin;
  for (const secret of [org.name, org.canonical, user.username, user.email]) out.secrets.add(secret);

  async function create(kind: string, operationId: string, body: unknown, path: Record<string, string> = {}) {
    const op = contract.byId.get(operationId);
    assert.ok(op, operationId);
    const url = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
      encodeURIComponent(name === 'organization_canonical' ? org.canonical : (path[name] ?? '')),
    );
    const res = await server.request(op.method, url, { token, body });
    assert.equal(res.status, op.successStatus, `creating the ${kind} of ${org.canonical}: ${res.status} ${res.text}`);
    out.created.push(kind);
    return res.body?.data;
  }

  const role = await create('role', 'createRole', {
    name: `Sweep role ${tag}`,
    canonical: `sweep-role-${tag}`,
    description: `sweep role description ${tag}`,
    rules: [{ action: 'organization:team:read', effect: 'allow' }],
  });
  out.params.role_canonical = role.canonical;
  out.hints.role_canonical = role.canonical;
  out.hints.roles_canonical = [role.canonical];
  out.secrets.add(role.name).add(role.canonical).add(`sweep role description ${tag}`);

  const team = await create('team', 'createTeam', {
    name: `Sweep team ${tag}`,
    canonical: `sweep-team-${tag}`,
    roles_canonical: [role.canonical],
  });
  out.params.team_canonical = team.canonical;
  out.hints.team_canonical = team.canonical;
  out.secrets.add(team.name).add(team.canonical);

  const teamMember = await create(
    'team member',
    'assignMemberToTeam',
    { username: user.username },
    {
      team_canonical: team.canonical,
    },
  );
  out.params.member_id = String(teamMember.id);
  out.adminMemberId = teamMember.id;

  const key = await create('API key', 'createAPIKey', {
    name: `Sweep key ${tag}`,
    canonical: `sweep-key-${tag}`,
    description: `sweep key description ${tag}`,
    rules: [{ action: 'organization:event:read', effect: 'allow' }],
  });
  out.params.api_key_canonical = key.canonical;
  for (const s of [key.name, key.canonical, key.token, `sweep key description ${tag}`]) out.secrets.add(s);

  const credentialSecret = `sweep-credential-secret-${tag}`;
  const credential = await create('credential', 'createCredential', {
    name: `Sweep credential ${tag}`,
    canonical: `sweep-credential-${tag}`,
    type: 'basic_auth',
    path: `sweep/credential-${tag}`,
    raw: { username: `sweep-user-${tag}`, password: credentialSecret },
  });
  out.params.credential_canonical = credential.canonical;
  out.hints.credential_canonical = credential.canonical;
  for (const s of [credential.name, credential.canonical, credential.path, credentialSecret, `sweep-user-${tag}`]) {
    out.secrets.add(s);
  }

  const backend = await create('external backend', 'createExternalBackend', {
    purpose: 'remote_tfstate',
    credential_canonical: credential.canonical,
    configuration: { engine: 'HTTPStorage', url: `https://state-${tag}.example.com/sweep` },
  });
  out.params.external_backend_id = String(backend.id);
  out.secrets.add(`state-${tag}.example.com`);

  const policyReason = `sweep-policy-reason-${tag}`;
  const policy = await create('infra policy', 'createInfraPolicy', {
    name: `Sweep infra policy ${tag}`,
    canonical: `sweep-infra-policy-${tag}`,
    body: `package sweep\n\ndeny[msg] {\n  r := input.tfplan.resource_changes[_]\n  msg := sprintf("%s: ${policyReason}", [r.address])\n}\n`,
    severity: 'warning',
    enabled: true,
    owner: user.username,
  });
  out.params.infra_policy_canonical = policy.canonical;
  for (const s of [policy.name, policy.canonical, policyReason]) out.secrets.add(s);

  const event = await create('event', 'sendEvent', {
    type: 'Custom',
    severity: 'info',
    title: `sweep event title ${tag}`,
    message: `sweep event message ${tag}`,
    tags: [{ key: `sweep-tag-${tag}`, value: `sweep-value-${tag}` }],
  });
  for (const s of [event.title, event.message, `sweep-tag-${tag}`, `sweep-value-${tag}`]) out.secrets.add(s);

  const invitee = `sweep-invitee-${tag}@example.com`;
  await create('member invitation', 'inviteUserToOrgMember', { email: invitee, role_canonical: role.canonical });
  out.secrets.add(invitee);

  // A URL of its own, linked to one local bare repository the sweeps' config pushes share.
  const configUrl = configRepoFixture(`config-${tag}`, { shared: true });
  const configRepository = await create('config repository', 'createConfigRepository', {
    name: `Sweep config ${tag}`,
    canonical: `sweep-config-${tag}`,
    url: configUrl,
    branch: 'main',
    credential_canonical: credential.canonical,
    default: true,
  });
  out.params.config_repository_canonical = configRepository.canonical;
  out.hints.config_repository_canonical = configRepository.canonical;
  out.hints.config_repository_url = configUrl;
  out.secrets.add(configRepository.name).add(configRepository.canonical).add(configUrl);

  const project = await create('project', 'createProject', {
    name: `Sweep project ${tag}`,
    canonical: `sweep-project-${tag}`,
    description: `sweep project description ${tag}`,
    config_repository_canonical: configRepository.canonical,
  });
  out.params.project_canonical = project.canonical;
  out.hints.project_canonical = project.canonical;
  out.secrets.add(project.name).add(project.canonical).add(`sweep project description ${tag}`);

  const environment = await create(
    'environment',
    'createEnvironment',
    { name: `Sweep environment ${tag}`, canonical: `sweep-env-${tag}` },
    { project_canonical: project.canonical },
  );
  out.params.environment_canonical = environment.canonical;
  out.hints.environment_canonical = environment.canonical;
  out.secrets.add(environment.name).add(environment.canonical);

  await create('project favorite', 'createProjectFavorite', undefined, { project_canonical: project.canonical });

  const catalog = await create('catalog repository', 'createServiceCatalogSource', {
    name: `Sweep stacks ${tag}`,
    url: sweepCatalogUrl(),
    branch: 'main',
    visibility: 'local',
  });
  out.secrets.add(catalog.name);
  out.hints.service_catalog_source_canonical = catalog.canonical;
  out.hints.service_catalog_ref = `${org.canonical}:sweep-stack`;
  const component = await create(
    'component',
    'createComponent',
    {
      name: `Sweep component ${tag}`,
      canonical: `sweep-component-${tag}`,
      service_catalog_ref: out.hints.service_catalog_ref,
      use_case: 'default',
    },
    { project_canonical: project.canonical, environment_canonical: environment.canonical },
  );
  out.params.component_canonical = component.canonical;
  out.secrets.add(component.name).add(component.canonical);

  out.hints.owner = user.username;
  out.hints.username = user.username;
  return out;
}
