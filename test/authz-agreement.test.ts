import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { createModules } from '../src/modules/index.js';
import { BUILTIN_ROLES } from '../src/platform/authz/builtin-roles.js';
import { isKnownAction } from '../src/platform/authz/policies.js';
import { JwtSigner } from '../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../src/platform/crypto/keys.js';
import { loadMasterKey, Vault } from '../src/platform/crypto/sealing.js';
import { nowSeconds } from '../src/platform/db/columns.js';
import { openNotifications } from '../src/platform/db/notifications.js';
import { loadContract } from '../src/platform/http/contract.js';
import type { HandlerContext, Module, OperationSpec } from '../src/platform/http/operation.js';
import { Mailer } from '../src/platform/mail/mailer.js';
import { customRole } from './helpers/api-keys.js';
import { configRepoFixture } from './helpers/config-repos.js';
import { addMember, createOrg, createUser, sessionToken, type TestOrg, type TestUser } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

/**
 * canDo must answer exactly what enforcement does. For every built-in role, a member holding it asks
 * canDo about an operation, then calls the operation for real; the two must agree.
 */

const contract = loadContract();
const unique = () => randomBytes(3).toString('hex');

/** What one probe needs: the organization, a custom role, a team and a member of the admin. */
interface Fixtures {
  org: TestOrg;
  admin: TestUser;
  adminMemberId: number;
  /** Builds a fresh child organization (for probes that delete their target). */
  freshChild(): Promise<TestOrg>;
  /** A local bare repository (branch main) for config repositories. */
  configUrl: string;
}

/**
 * One operation to try. Path parameters other than the organization come from `params`; `missing`
 * marks probes aimed at an entity that does not exist, where "allowed" shows as 404 (the permission
 * check runs before the handler looks the entity up) and "denied" as 403. Add operations here as
 * modules implement them; a probe whose operation still answers 501 is skipped.
 */
interface Probe {
  operationId: string;
  params?: (fx: Fixtures) => Record<string, string | number>;
  body?: (fx: Fixtures) => unknown;
  /** The organization to act in, when not the fixtures' one. */
  org?: (fx: Fixtures) => Promise<TestOrg>;
  missing?: true;
}

const RULES = [{ action: 'organization:read', effect: 'allow' }];

export const PROBES: Probe[] = [
  // organizations
  { operationId: 'getOrg' },
  { operationId: 'updateOrg', body: (fx) => ({ name: fx.org.name }) },
  { operationId: 'getSummary' },
  { operationId: 'getAncestors' },
  { operationId: 'getChildren' },
  { operationId: 'createChild', body: () => ({ name: `Probe child ${unique()}` }) },
  { operationId: 'deleteOrg', org: (fx) => fx.freshChild() },
  { operationId: 'canDo', body: () => ({ action: 'organization:read', entity_canonicals: [] }) },
  // roles and policies
  { operationId: 'getRoles' },
  { operationId: 'getRole', params: () => ({ role_canonical: 'probe-role' }) },
  { operationId: 'createRole', body: () => ({ name: `Probe ${unique()}`, rules: RULES }) },
  {
    operationId: 'updateRole',
    params: () => ({ role_canonical: 'probe-role' }),
    body: () => ({ name: 'Probe role', rules: RULES }),
  },
  { operationId: 'deleteRole', params: () => ({ role_canonical: 'no-such-role' }), missing: true },
  { operationId: 'getPolicies' },
  // teams
  { operationId: 'getTeams' },
  { operationId: 'getTeam', params: () => ({ team_canonical: 'probe-team' }) },
  {
    operationId: 'createTeam',
    body: () => ({ name: `Probe team ${unique()}`, roles_canonical: ['organization-member'] }),
  },
  {
    operationId: 'updateTeam',
    params: () => ({ team_canonical: 'probe-team' }),
    body: () => ({ canonical: 'probe-team', name: 'Probe team', roles_canonical: ['organization-member'] }),
  },
  { operationId: 'deleteTeam', params: () => ({ team_canonical: 'no-such-team' }), missing: true },
  { operationId: 'getTeamMembers', params: () => ({ team_canonical: 'probe-team' }) },
  // members
  { operationId: 'getOrgMembers' },
  { operationId: 'getOrgMember', params: (fx) => ({ member_id: fx.adminMemberId }) },
  { operationId: 'removeOrgMember', params: () => ({ member_id: 999_999 }), missing: true },
  // API keys
  { operationId: 'getAPIKeys' },
  { operationId: 'getAPIKey', params: () => ({ api_key_canonical: 'no-such-key' }), missing: true },
  { operationId: 'deleteAPIKey', params: () => ({ api_key_canonical: 'no-such-key' }), missing: true },
  // infra policies
  { operationId: 'getInfraPolicies' },
  {
    operationId: 'createInfraPolicy',
    body: (fx) => ({
      name: `Probe policy ${unique()}`,
      body: 'package probe\n\ndeny["never"] { false }\n',
      severity: 'advisory',
      owner: fx.admin.username,
    }),
  },
  { operationId: 'getInfraPolicy', params: () => ({ infra_policy_canonical: 'no-such-policy' }), missing: true },
  {
    operationId: 'updateInfraPolicy',
    params: () => ({ infra_policy_canonical: 'no-such-policy' }),
    body: () => ({
      name: 'Probe',
      body: 'package probe\n',
      severity: 'advisory',
      enabled: false,
      description: '',
      owner: '',
    }),
    missing: true,
  },
  { operationId: 'deleteInfraPolicy', params: () => ({ infra_policy_canonical: 'no-such-policy' }), missing: true },
  {
    operationId: 'validateProjectInfraPolicies',
    params: () => ({ project_canonical: 'probe-project', environment_canonical: 'probe-env' }),
    body: () => ({ tfplan: '{"format_version": "1.2", "resource_changes": []}' }),
  },
  // events
  { operationId: 'getEvents' },
  { operationId: 'getEventsTags' },
  // config repositories
  { operationId: 'listConfigRepositories' },
  { operationId: 'getConfigRepository', params: () => ({ config_repository_canonical: 'probe-config' }) },
  {
    operationId: 'createConfigRepository',
    body: (fx) => ({
      name: `Probe config ${unique()}`,
      url: fx.configUrl,
      branch: 'main',
      credential_canonical: 'probe-git',
      default: false,
    }),
  },
  {
    operationId: 'updateConfigRepository',
    params: () => ({ config_repository_canonical: 'no-such-config' }),
    body: (fx) => ({ name: 'x', url: fx.configUrl, branch: 'main', credential_canonical: 'probe-git', default: false }),
    missing: true,
  },
  {
    operationId: 'deleteConfigRepository',
    params: () => ({ config_repository_canonical: 'no-such-config' }),
    missing: true,
  },
  {
    operationId: 'createConfigRepositoryConfig',
    params: () => ({ config_repository_canonical: 'no-such-config' }),
    body: () => ({ configs: [{ path: 'x.yml', content: 'eDogMQo=' }] }),
    missing: true,
  },
  // projects and environments
  { operationId: 'getProjects' },
  { operationId: 'getProject', params: () => ({ project_canonical: 'probe-project' }) },
  {
    operationId: 'createProject',
    body: () => ({ name: `Probe project ${unique()}`, config_repository_canonical: 'probe-config' }),
  },
  {
    operationId: 'updateProject',
    params: () => ({ project_canonical: 'no-such-project' }),
    body: () => ({ name: 'x', updated_at: 1 }),
    missing: true,
  },
  { operationId: 'deleteProject', params: () => ({ project_canonical: 'no-such-project' }), missing: true },
  { operationId: 'createProjectFavorite', params: () => ({ project_canonical: 'probe-project' }) },
  { operationId: 'deleteProjectFavorite', params: () => ({ project_canonical: 'probe-project' }) },
  { operationId: 'getProjectEnvironments', params: () => ({ project_canonical: 'probe-project' }) },
  {
    operationId: 'createEnvironment',
    params: () => ({ project_canonical: 'probe-project' }),
    body: () => ({ name: `env-${unique()}` }),
  },
  {
    operationId: 'getEnvironment',
    params: () => ({ project_canonical: 'probe-project', environment_canonical: 'probe-env' }),
  },
  {
    operationId: 'updateEnvironment',
    params: () => ({ project_canonical: 'probe-project', environment_canonical: 'probe-env' }),
    body: () => ({ name: 'Probe env' }),
  },
  {
    operationId: 'deleteEnvironment',
    params: () => ({ project_canonical: 'probe-project', environment_canonical: 'no-such-env' }),
    missing: true,
  },
  { operationId: 'getOrganizationEnvironments' },
  { operationId: 'getCloudProviders' },
  // components: the probe environment has none, so the per-component probes answer 404 once allowed.
  {
    operationId: 'getComponents',
    params: () => ({ project_canonical: 'probe-project', environment_canonical: 'probe-env' }),
  },
  { operationId: 'getOrganizationComponents' },
  ...(['getComponent', 'getComponentConfig', 'deleteComponent'] as const).map((operationId) => ({
    operationId,
    params: () => ({
      project_canonical: 'probe-project',
      environment_canonical: 'probe-env',
      component_canonical: 'none',
    }),
    missing: true as const,
  })),
  {
    operationId: 'updateComponent',
    params: () => ({
      project_canonical: 'probe-project',
      environment_canonical: 'probe-env',
      component_canonical: 'none',
    }),
    body: () => ({ name: 'x', use_case: 'default' }),
    missing: true,
  },
  {
    operationId: 'migrateComponent',
    params: () => ({
      project_canonical: 'probe-project',
      environment_canonical: 'probe-env',
      component_canonical: 'none',
    }),
    body: () => ({ destination_environment_canonical: 'probe-env' }),
    missing: true,
  },
  // forms
  { operationId: 'validateFormsFile', body: () => ({ form_file: { use_cases: [] } }) },
  // valuesRefForms declares the same permission; a 2xx needs an upstream (test/forms.test.ts has one).
];

/** Every module, wired as the app wires them, to read their operation tables. */
async function buildModules(server: TestServer): Promise<Module[]> {
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  const { config } = server;
  const mailer = new Mailer({ smtpUrl: undefined, from: config.mailFrom, dataDir: config.dataDir, log });
  try {
    return createModules({
      config,
      database: server.database,
      contract,
      // Only the operation tables are read: nothing is published or heard.
      notifications: openNotifications('sqlite', config.databaseUrl),
      signer: new JwtSigner(loadSigningKey(config.dataDir, config.jwtSecret)),
      mailer,
      log,
      vault: await Vault.open(server.database.db, loadMasterKey(config.dataDir, config.masterKey)),
    });
  } finally {
    mailer.close();
  }
}

function pathOf(operationId: string, params: Record<string, string | number>): string {
  const op = contract.byId.get(operationId);
  assert.ok(op, `${operationId} is not in the contract`);
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    assert.ok(params[name] !== undefined, `${operationId}: no value for path parameter ${name}`);
    return encodeURIComponent(String(params[name]));
  });
}

/** What canDo answers for the permission an operation declares; `action: null` needs only standing. */
async function canDoSays(
  server: TestServer,
  token: string,
  org: TestOrg,
  spec: OperationSpec,
  request: Pick<HandlerContext, 'params' | 'query' | 'body'>,
): Promise<boolean> {
  const permission = spec.permission;
  assert.ok(permission, 'the operation declares no permission');
  if (permission.action === null) return true;
  const entities = permission.entities?.(request as HandlerContext) ?? [];
  const asked = await server.request('POST', `/organizations/${org.canonical}/can_do`, {
    token,
    body: { action: permission.action, entity_canonicals: entities },
  });
  assert.equal(asked.status, 200, `canDo: ${asked.text}`);
  return asked.body.data.ok === true;
}

for (const engine of testEngines()) {
  describe(`authorization agreement (${engine})`, () => {
    let server: TestServer;
    let specs: Map<string, OperationSpec>;
    before(async () => {
      server = await startServer(engine);
      specs = new Map((await buildModules(server)).flatMap((m) => Object.entries(m.operations)));
    });
    after(() => server.close());

    it('every permission an operation declares is a known policy code', () => {
      assert.ok(specs.size > 0);
      const unknown = [...specs]
        .filter(([, spec]) => spec.permission?.action != null && !isKnownAction(spec.permission.action))
        .map(([id, spec]) => `${id}: ${spec.permission?.action}`);
      assert.deepEqual(unknown, [], 'operations declaring unknown action codes');
    });

    describe('canDo agrees with enforcement for every built-in role', () => {
      let fx: Fixtures;
      const members = new Map<string, string>();

      before(async () => {
        const db = server.database.db;
        const admin = await createUser(server);
        const org = await createOrg(server, admin);
        const adminMember = await db
          .selectFrom('memberships')
          .select('id')
          .where('organization_id', '=', org.id)
          .where('user_id', '=', admin.id)
          .executeTakeFirstOrThrow();
        const now = nowSeconds();
        await customRole(server, org, 'probe-role', [{ action: 'organization:read', resources: [] }]);
        await db
          .insertInto('teams')
          .values({
            organization_id: org.id,
            canonical: 'probe-team',
            name: 'Probe team',
            owner_user_id: admin.id,
            created_at: now,
            updated_at: now,
          })
          .execute();
        // A credential, config repository, project and environment for the probes, written directly: the
        // credential's sealed value is never opened (the repository is local).
        const credential = await db
          .insertInto('credentials')
          .values({
            organization_id: org.id,
            canonical: 'probe-git',
            name: 'Probe git',
            description: '',
            type: 'basic_auth',
            path: 'probe-git',
            keys: '["username","password"]',
            sealed_raw: 'unused',
            owner_user_id: admin.id,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const configUrl = configRepoFixture('probe');
        const configRepository = await db
          .insertInto('config_repositories')
          .values({
            organization_id: org.id,
            canonical: 'probe-config',
            name: 'Probe config',
            url: configUrl,
            branch: 'main',
            credential_id: credential.id,
            is_default: 1,
            owner_user_id: admin.id,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const project = await db
          .insertInto('projects')
          .values({
            organization_id: org.id,
            canonical: 'probe-project',
            name: 'Probe project',
            description: '',
            color: 'default',
            icon: 'extension',
            cloud_provider: null,
            config_repository_id: configRepository.id,
            team_id: null,
            owner_user_id: admin.id,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await db
          .insertInto('environments')
          .values({
            organization_id: org.id,
            project_id: project.id,
            canonical: 'probe-env',
            name: 'Probe env',
            color: 'default',
            created_at: now,
            updated_at: now,
          })
          .execute();
        fx = {
          org,
          admin,
          adminMemberId: adminMember.id,
          freshChild: () => createOrg(server, null, { parent: org }),
          configUrl,
        };
        for (const builtin of BUILTIN_ROLES) {
          const user = await createUser(server);
          await addMember(server, org, user, builtin.canonical);
          members.set(builtin.canonical, sessionToken(server, user));
        }
      });

      for (const probe of PROBES) {
        it(probe.operationId, async (t) => {
          const spec = specs.get(probe.operationId);
          if (!spec) {
            t.skip(`${probe.operationId} is not implemented yet (no module declares it)`);
            return;
          }
          const op = contract.byId.get(probe.operationId)!;
          const disagreements: string[] = [];
          for (const [role, token] of members) {
            const org = probe.org ? await probe.org(fx) : fx.org;
            const params = { organization_canonical: org.canonical, ...probe.params?.(fx) };
            const body = probe.body?.(fx);
            const expected = await canDoSays(server, token, org, spec, { params, query: {}, body });
            const res = await server.request(op.method, pathOf(probe.operationId, params), { token, body });
            if (res.status === 501) {
              t.skip(`${probe.operationId} still answers 501`);
              return;
            }
            const allowed = (res.status >= 200 && res.status < 300) || (probe.missing === true && res.status === 404);
            const denied = res.status === 403;
            if (!allowed && !denied) {
              disagreements.push(`${role}: unexpected ${res.status} ${res.text}`);
            } else if (allowed !== expected) {
              disagreements.push(`${role}: canDo said ${expected}, the call answered ${res.status}`);
            }
          }
          assert.deepEqual(disagreements, [], `${probe.operationId}: canDo and enforcement disagree`);
        });
      }
    });
  });
}
