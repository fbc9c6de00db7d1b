import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { makeApiKey } from './helpers/api-keys.js';
import { addMember, createOrg, createUser, sessionToken, type TestOrg, type TestUser } from './helpers/factories.js';
import { type RequestShape, urlOf } from './helpers/mutations.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';
import { createResources, RESOURCE_KINDS, type Resources } from './sweeps/fixtures.js';
import { type Implemented, implementedOperations, isOrganizationScoped } from './sweeps/operation-tables.js';
import { validationProblems, validRequest } from './sweeps/requests.js';

/**
 * The generated isolation sweep. Organization A (a child of P, with a sibling S and a child C) holds
 * one of every resource. Every implemented operation under /organizations/{organization_canonical}
 * is called on A, with a valid request naming A's real resources, by callers with no standing in A:
 * B's admin (session and API key), S's admin, C's admin (session and API key), and a member of A
 * who administers B, through a session opened into B and through a B API key they own. Each must get exactly 404, an error envelope, and no string of A
 * it did not send. A member of A with no permissions who administers B gets exactly what that role
 * allows in A (403). B's admin calling B's own paths with A's ids, canonicals and usernames gets a
 * 4xx. A is unchanged afterwards. Operations come from the modules' operation tables, so the sweep
 * grows as modules are implemented, and a generated request that is invalid fails the sweep.
 */

interface Caller {
  who: string;
  token: string;
}

function assertRefusal(
  res: { status: number; body: any; text: string },
  expected: number | 'any 4xx',
  sent: string,
  secrets: Set<string>,
  label: string,
) {
  if (expected === 'any 4xx') {
    assert.ok(
      res.status >= 400 && res.status < 500,
      `${label}: expected a 4xx, got ${res.status} ${res.text.slice(0, 300)}`,
    );
  } else {
    assert.equal(res.status, expected, `${label}: expected ${expected}, got ${res.status} ${res.text.slice(0, 300)}`);
  }
  assert.ok(Array.isArray(res.body?.errors) && res.body.errors.length > 0, `${label}: not an error envelope`);
  assert.equal(typeof res.body.errors[0].code, 'string', label);
  assert.equal(typeof res.body.errors[0].message, 'string', label);
  assert.equal(typeof res.body.request_id, 'string', label);
  assertNoLeak(res.text, sent, secrets, label);
}

function assertNoLeak(text: string, sent: string, secrets: Set<string>, label: string) {
  for (const secret of secrets) {
    if (sent.includes(secret)) continue;
    assert.ok(!text.includes(secret), `${label}: the answer names '${secret}' of the other organization`);
  }
}

/** Tables whose rows belong to one organization through `organization_id`: compared whole. */
const ORGANIZATION_TABLES = [
  'credentials',
  'external_backends',
  'infra_policies',
  'config_repositories',
  'projects',
  'environments',
  'components',
] as const;

async function rowsOfOrganization(db: TestServer['database']['db'], organizationId: number) {
  const entries = await Promise.all(
    ORGANIZATION_TABLES.map(
      async (table) =>
        [
          table,
          // One query shape for every such table; the union of their row types is all a snapshot needs.
          await db
            .selectFrom(table as 'credentials')
            .selectAll()
            .where('organization_id', '=', organizationId)
            .orderBy('id')
            .execute(),
        ] as const,
    ),
  );
  return Object.fromEntries(entries);
}

/** Everything organization A is made of, read straight from the database (events excluded). */
async function snapshot(server: TestServer, org: TestOrg) {
  const db = server.database.db;
  const orgs = await db
    .selectFrom('organizations')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', org.id), eb('parent_id', '=', org.id)]))
    .orderBy('id')
    .execute();
  const roles = await db.selectFrom('roles').selectAll().where('organization_id', '=', org.id).orderBy('id').execute();
  const roleIds = [0, ...roles.map((r) => r.id)];
  const teams = await db.selectFrom('teams').selectAll().where('organization_id', '=', org.id).orderBy('id').execute();
  const teamIds = [0, ...teams.map((t) => t.id)];
  const keys = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('organization_id', '=', org.id)
    .orderBy('id')
    .execute();
  const memberships = await db
    .selectFrom('memberships')
    .selectAll()
    .where('organization_id', '=', org.id)
    .orderBy('id')
    .execute();
  const userIds = [0, ...memberships.flatMap((m) => (m.user_id === null ? [] : [m.user_id]))];
  return {
    orgs,
    roles,
    ...(await rowsOfOrganization(db, org.id)),
    projectFavorites: await db
      .selectFrom('project_favorites')
      .innerJoin('projects', 'projects.id', 'project_favorites.project_id')
      .select(['project_favorites.user_id', 'project_favorites.project_id'])
      .where('projects.organization_id', '=', org.id)
      .orderBy('project_favorites.project_id')
      .orderBy('project_favorites.user_id')
      .execute(),
    roleRules: await db.selectFrom('role_rules').selectAll().where('role_id', 'in', roleIds).orderBy('id').execute(),
    memberships,
    users: await db.selectFrom('users').selectAll().where('id', 'in', userIds).orderBy('id').execute(),
    teams,
    teamRoles: await db
      .selectFrom('team_roles')
      .selectAll()
      .where('team_id', 'in', teamIds)
      .orderBy('team_id')
      .orderBy('role_id')
      .execute(),
    teamMembers: await db
      .selectFrom('team_members')
      .selectAll()
      .where('team_id', 'in', teamIds)
      .orderBy('team_id')
      .orderBy('user_id')
      .execute(),
    keys: keys.map(({ last_used_at: _ignored, ...key }) => key),
    keyRules: await db
      .selectFrom('api_key_rules')
      .selectAll()
      .where('api_key_id', 'in', [0, ...keys.map((k) => k.id)])
      .orderBy('id')
      .execute(),
  };
}

/** Whether a request names one of A's resources (path values, or canonicals and usernames in its body). */
function namesA(request: RequestShape, a: Resources, aOrg: TestOrg, aUser: TestUser): boolean {
  const ids = [...Object.values(a.params), aUser.username, aOrg.canonical];
  const text = `${Object.values(request.path).join(' ')} ${JSON.stringify(request.body ?? '')}`;
  return ids.some((id) => Object.values(request.path).includes(id) || text.includes(`"${id}"`));
}

for (const engine of testEngines()) {
  describe(`tenant isolation sweep (${engine})`, () => {
    let server: TestServer;
    let scoped: Implemented[];
    let aAdmin: TestUser;
    let aOrg: TestOrg;
    let bAdmin: TestUser;
    let bOrg: TestOrg;
    let a: Resources;
    let mixedSession: string;
    const strangers: Caller[] = [];
    let before$: Awaited<ReturnType<typeof snapshot>>;
    const tag = randomBytes(3).toString('hex');

    before(async () => {
      server = await startServer(engine);
      scoped = (await implementedOperations(server)).filter(({ op }) => isOrganizationScoped(op));

      const parent = await createOrg(server, await createUser(server));
      aAdmin = await createUser(server);
      aOrg = await createOrg(server, aAdmin, { parent });
      a = await createResources(server, { user: aAdmin, org: aOrg, token: sessionToken(server, aAdmin) }, tag);

      bAdmin = await createUser(server);
      bOrg = await createOrg(server, bAdmin);
      const siblingAdmin = await createUser(server);
      const sibling = await createOrg(server, siblingAdmin, { parent });
      const childAdmin = await createUser(server);
      const child = await createOrg(server, childAdmin, { parent: aOrg });

      // A member of A with no permissions there, who administers B.
      const mixed = await createUser(server);
      await addMember(server, aOrg, mixed, 'default-no-permissions');
      await addMember(server, bOrg, mixed, 'organization-admin');
      mixedSession = sessionToken(server, mixed);

      strangers.push(
        { who: "B's admin (session)", token: sessionToken(server, bAdmin) },
        { who: "B's admin API key", token: (await makeApiKey(server, bOrg, bAdmin)).token },
        { who: "sibling S's admin (session)", token: sessionToken(server, siblingAdmin) },
        { who: "child C's admin (session)", token: sessionToken(server, childAdmin) },
        { who: "child C's admin API key", token: (await makeApiKey(server, child, childAdmin)).token },
        { who: 'a member of A, session opened into B', token: sessionToken(server, mixed, bOrg) },
        { who: "a member of A, B's API key they own", token: (await makeApiKey(server, bOrg, mixed)).token },
      );
      // Positive controls: every stranger's token works in its own organization.
      const homes = [bOrg, bOrg, sibling, child, child, bOrg, bOrg];
      for (const [i, caller] of strangers.entries()) {
        const org = homes[i];
        const res = await server.request('GET', `/organizations/${org.canonical}`, { token: caller.token });
        assert.equal(res.status, 200, `${caller.who} reads its own organization: ${res.text}`);
      }
      before$ = await snapshot(server, aOrg);
    });
    after(() => server.close());

    it('every implemented operation on A answers exactly 404 to callers with no standing in A', async (t) => {
      assert.deepEqual(a.created, [...RESOURCE_KINDS], 'the fixture holds one of every resource');
      let exercised = 0;
      for (const { op, spec } of scoped) {
        await t.test(op.operationId, async () => {
          assert.ok(spec.permission, `${op.operationId} is organization-scoped but declares no permission`);
          const request = validRequest(op, aOrg.canonical, a.params, a.hints);
          assert.deepEqual(
            validationProblems(op, spec, request),
            [],
            `${op.operationId}: the generated request is invalid`,
          );
          const url = urlOf(op, request);
          const sent = `${url} ${JSON.stringify(request.body ?? '')}`;
          for (const caller of strangers) {
            const res = await server.request(op.method, url, { token: caller.token, body: request.body });
            assertRefusal(res, 404, sent, a.secrets, `${op.operationId} as ${caller.who}`);
          }
          exercised++;
        });
      }
      t.diagnostic(`${engine}: ${exercised} of ${scoped.length} implemented organization operations exercised`);
      t.diagnostic(`${engine}: ${strangers.length} callers each, ${exercised * strangers.length} refusals checked`);
      assert.equal(exercised, scoped.length);
      assert.ok(exercised >= 50, `only ${exercised} operations exercised`);
    });

    it("a member of A without permissions who administers B gets A's 403, and nothing of A", async (t) => {
      let exercised = 0;
      for (const { op, spec } of scoped) {
        await t.test(op.operationId, async () => {
          const request = validRequest(op, aOrg.canonical, a.params, a.hints);
          const url = urlOf(op, request);
          const sent = `${url} ${JSON.stringify(request.body ?? '')}`;
          const res = await server.request(op.method, url, { token: mixedSession, body: request.body });
          const label = `${op.operationId} as A's no-permissions member`;
          if (spec.permission?.action === null) {
            // Standing is enough: the answer holds only what the member may see, none of A's resources.
            assert.ok(res.status < 300, `${label}: ${res.status} ${res.text.slice(0, 300)}`);
            assertNoLeak(res.text, sent, a.secrets, label);
          } else {
            assertRefusal(res, 403, sent, a.secrets, label);
          }
          exercised++;
        });
      }
      t.diagnostic(`${engine}: ${exercised} operations as a member of A without permissions`);
      assert.equal(exercised, scoped.length);
    });

    it("B's own paths carrying A's ids, canonicals and usernames answer a 4xx", async (t) => {
      let exercised = 0;
      const bToken = sessionToken(server, bAdmin);
      for (const { op, spec } of scoped) {
        const request = validRequest(op, bOrg.canonical, a.params, a.hints);
        if (!namesA(request, a, aOrg, aAdmin)) continue;
        await t.test(op.operationId, async () => {
          assert.deepEqual(
            validationProblems(op, spec, request),
            [],
            `${op.operationId}: the generated request is invalid`,
          );
          const url = urlOf(op, request);
          const res = await server.request(op.method, url, { token: bToken, body: request.body });
          const sent = `${url} ${JSON.stringify(request.body ?? '')}`;
          assertRefusal(res, 'any 4xx', sent, a.secrets, `${op.operationId} on B naming A's resources`);
          exercised++;
        });
      }
      t.diagnostic(`${engine}: ${exercised} operations on B's paths named A's resources`);
      assert.ok(exercised >= 20, `only ${exercised} operations named A's resources`);
    });

    it('organization A is unchanged after the sweep', async () => {
      assert.deepEqual(await snapshot(server, aOrg), before$);
    });
  });
}
