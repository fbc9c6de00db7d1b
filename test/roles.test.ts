import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_ROLES } from '../src/platform/authz/builtin-roles.js';
import { isKnownAction, POLICIES } from '../src/platform/authz/policies.js';
import { nowSeconds } from '../src/platform/db/columns.js';
import { auditTrail } from './helpers/api-keys.js';
import { addMember, createUser, sessionToken, type TestOrg, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

for (const engine of testEngines()) {
  describe(`roles and policies (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());

    const db = () => server.database.db;
    const get = (path: string, token: string) => server.request('GET', path, { token });
    const send = (method: string, path: string, token: string, body?: unknown) =>
      server.request(method, path, { token, body });

    async function roleRows(org: TestOrg) {
      return db()
        .selectFrom('roles')
        .select(['id', 'canonical', 'name'])
        .where('organization_id', '=', org.id)
        .execute();
    }
    async function rulesOf(org: TestOrg, canonical: string) {
      return db()
        .selectFrom('role_rules')
        .innerJoin('roles', 'roles.id', 'role_rules.role_id')
        .select(['role_rules.action', 'role_rules.resources'])
        .where('roles.organization_id', '=', org.id)
        .where('roles.canonical', '=', canonical)
        .orderBy('role_rules.id')
        .execute();
    }
    async function memberWith(org: TestOrg, role: string) {
      const user = await createUser(server);
      await addMember(server, org, user, role);
      return { user, token: sessionToken(server, user) };
    }
    const readers = (org: TestOrg) => ({
      name: 'Readers',
      description: 'Read teams and projects',
      rules: [
        { action: 'organization:team:read', effect: 'allow' },
        {
          action: 'organization:project:**',
          effect: 'allow',
          resources: [`organization:${org.canonical}:project:shop`],
        },
      ],
    });

    describe('getRoles', () => {
      it('lists the built-in roles with their rules, paged', async () => {
        const { org, token } = await tenant(server);
        const res = await get(`/organizations/${org.canonical}/roles`, token);
        assert.equal(res.status, 200);
        assert.deepEqual(
          res.body.data.map((r: any) => r.canonical),
          BUILTIN_ROLES.map((r) => r.canonical),
        );
        const admin = res.body.data[0];
        assert.equal(admin.default, true);
        assert.deepEqual(
          admin.rules.map((r: any) => ({ action: r.action, effect: r.effect, resources: r.resources })),
          [{ action: 'organization:**', effect: 'allow', resources: [] }],
        );
        assert.ok(admin.rules[0].id >= 1);
        const page = await get(`/organizations/${org.canonical}/roles?page_size=2&page_index=3`, token);
        assert.deepEqual(page.body.pagination, { index: 3, size: 2, total: 5 });
        assert.deepEqual(
          page.body.data.map((r: any) => r.canonical),
          ['default-no-permissions'],
        );
      });

      it('is refused to other tenants (404) and to roles without organization:role:list (403)', async () => {
        const a = await tenant(server);
        const b = await tenant(server);
        const foreign = await get(`/organizations/${a.org.canonical}/roles`, b.token);
        assert.equal(foreign.status, 404);
        assert.equal(foreign.body.data, undefined);
        const viewer = await memberWith(a.org, 'default-project-viewer');
        assert.equal((await get(`/organizations/${a.org.canonical}/roles`, viewer.token)).status, 403);
        const reader = await memberWith(a.org, 'organization-member');
        assert.equal((await get(`/organizations/${a.org.canonical}/roles`, reader.token)).status, 200);
      });

      it('lists only the roles a resource-scoped rule lets the caller see', async () => {
        const { org, token } = await tenant(server);
        const made = await send('POST', `/organizations/${org.canonical}/roles`, token, {
          name: 'Scoped lister',
          rules: [
            // The collection itself, then only the custom roles named ops-*.
            { action: 'organization:role:list', effect: 'allow', resources: [`organization:${org.canonical}:role`] },
            {
              action: 'organization:role:list',
              effect: 'allow',
              resources: [`organization:${org.canonical}:role:ops-*`],
            },
          ],
        });
        assert.equal(made.status, 200);
        await send('POST', `/organizations/${org.canonical}/roles`, token, {
          name: 'Ops one',
          rules: [],
        });
        const lister = await memberWith(org, 'scoped-lister');
        const res = await get(`/organizations/${org.canonical}/roles`, lister.token);
        assert.equal(res.status, 200);
        assert.deepEqual(
          res.body.data.map((r: any) => r.canonical),
          ['ops-one'],
        );
        assert.equal(res.body.pagination.total, 1);
      });
    });

    describe('createRole', () => {
      it('creates a role from the NewRole body, answers NewRole, and records an event', async () => {
        const { user, org, token } = await tenant(server);
        const res = await send('POST', `/organizations/${org.canonical}/roles`, token, readers(org));
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.data, {
          canonical: 'readers',
          name: 'Readers',
          description: 'Read teams and projects',
          rules: [
            { action: 'organization:team:read', effect: 'allow', resources: [] },
            {
              action: 'organization:project:**',
              effect: 'allow',
              resources: [`organization:${org.canonical}:project:shop`],
            },
          ],
        });
        const stored = await rulesOf(org, 'readers');
        assert.deepEqual(
          stored.map((r) => [r.action, JSON.parse(r.resources)]),
          [
            ['organization:team:read', []],
            ['organization:project:**', [`organization:${org.canonical}:project:shop`]],
          ],
        );
        const trail = await auditTrail(server, org.id);
        assert.equal(trail.at(-1)?.title, 'organization:role:create');
        assert.equal(trail.at(-1)?.tags.target, 'role:readers');
        assert.equal(trail.at(-1)?.tags.actor, user.username);
        const one = await get(`/organizations/${org.canonical}/roles/readers`, token);
        assert.equal(one.body.data.default, false);
        assert.equal(one.body.data.rules.length, 2);
      });

      it('refuses duplicates (409), unknown actions (422 naming them), foreign or malformed resources (422)', async () => {
        const { org, token } = await tenant(server);
        const path = `/organizations/${org.canonical}/roles`;
        const before = (await roleRows(org)).length;
        const dup = await send('POST', path, token, { name: 'Organization admin', rules: [] });
        assert.equal(dup.status, 409);
        assert.match(dup.body.errors[0].message, /organization-admin/);
        const unknown = await send('POST', path, token, {
          name: 'Typos',
          rules: [
            { action: 'organization:team:read', effect: 'allow' },
            { action: 'organization:teem:read', effect: 'allow' },
          ],
        });
        assert.equal(unknown.status, 422);
        assert.match(unknown.body.errors[0].message, /rules\[1\]\.action: 'organization:teem:read'/);
        const glob = await send('POST', path, token, {
          name: 'Glob',
          rules: [{ action: 'organization:nothing:*', effect: 'allow' }],
        });
        assert.equal(glob.status, 422);
        assert.match(glob.body.errors[0].message, /matches no known action/);
        const foreign = await send('POST', path, token, {
          name: 'Foreign',
          rules: [
            { action: 'organization:team:read', effect: 'allow', resources: ['organization:someone-else:team:x'] },
          ],
        });
        assert.equal(foreign.status, 422);
        assert.match(foreign.body.errors[0].message, new RegExp(`must start with 'organization:${org.canonical}'`));
        for (const resource of [
          `organization:${org.canonical}:team:`,
          `organization:${org.canonical}:Team:x`,
          `organization:${org.canonical}:**:team`,
          `organization:${org.canonical}:team:a b`,
        ]) {
          const bad = await send('POST', path, token, {
            name: 'Malformed',
            rules: [{ action: 'organization:team:read', effect: 'allow', resources: [resource] }],
          });
          assert.equal(bad.status, 422, resource);
        }
        const deny = await send('POST', path, token, {
          name: 'Deny',
          rules: [{ action: 'organization:team:read', effect: 'deny' }],
        });
        assert.equal(deny.status, 400);
        assert.equal((await send('POST', path, token, { name: 'No rules' })).status, 400);
        assert.equal((await send('POST', path, token, { name: '   ', rules: [] })).status, 422);
        assert.equal((await send('POST', path, token, { name: 'x'.repeat(101), rules: [] })).status, 400);
        assert.equal((await roleRows(org)).length, before);
        assert.deepEqual(await auditTrail(server, org.id), []);
      });

      it('accepts globs that match known codes', async () => {
        const { org, token } = await tenant(server);
        const res = await send('POST', `/organizations/${org.canonical}/roles`, token, {
          name: 'Credential keepers',
          canonical: 'cred-keepers',
          rules: [
            {
              action: 'organization:credential:*',
              effect: 'allow',
              resources: [`organization:${org.canonical}:credential:cy-*`],
            },
            {
              action: 'organization:project:**',
              effect: 'allow',
              resources: [`organization:${org.canonical}:project:shop:**`],
            },
          ],
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.data.canonical, 'cred-keepers');
      });

      it('refuses to grant more than the caller holds (403) and roles to callers without organization:role:create', async () => {
        const { org, token } = await tenant(server);
        await send('POST', `/organizations/${org.canonical}/roles`, token, {
          name: 'Role managers',
          rules: [
            { action: 'organization:role:**', effect: 'allow' },
            { action: 'organization:team:read', effect: 'allow' },
          ],
        });
        const manager = await memberWith(org, 'role-managers');
        const path = `/organizations/${org.canonical}/roles`;
        const escalate = await send('POST', path, manager.token, {
          name: 'Everything',
          rules: [{ action: 'organization:**', effect: 'allow' }],
        });
        assert.equal(escalate.status, 403);
        assert.match(escalate.body.errors[0].message, /exceeds your own rights/);
        const within = await send('POST', path, manager.token, {
          name: 'Team readers',
          rules: [
            { action: 'organization:team:read', effect: 'allow', resources: [`organization:${org.canonical}:team:a`] },
          ],
        });
        assert.equal(within.status, 200);
        const reader = await memberWith(org, 'organization-member');
        assert.equal((await send('POST', path, reader.token, { name: 'Nope', rules: [] })).status, 403);
        const other = await tenant(server);
        assert.equal((await send('POST', path, other.token, { name: 'Nope', rules: [] })).status, 404);
        assert.ok(!(await roleRows(org)).some((r) => r.canonical === 'nope' || r.canonical === 'everything'));
      });
    });

    describe('getRole', () => {
      it('answers one role; unknown roles and other tenants get 404', async () => {
        const a = await tenant(server);
        const b = await tenant(server);
        const res = await get(`/organizations/${a.org.canonical}/roles/organization-member`, a.token);
        assert.equal(res.status, 200);
        assert.equal(res.body.data.canonical, 'organization-member');
        assert.ok(res.body.data.rules.length > 10);
        assert.ok(res.body.data.rules.every((r: any) => r.effect === 'allow'));
        assert.equal((await get(`/organizations/${a.org.canonical}/roles/nope-role`, a.token)).status, 404);
        const foreign = await get(`/organizations/${a.org.canonical}/roles/organization-member`, b.token);
        assert.equal(foreign.status, 404);
        assert.equal(foreign.body.data, undefined);
        // b's own role of the same canonical is not a's.
        const own = await get(`/organizations/${b.org.canonical}/roles/organization-admin`, b.token);
        assert.notEqual(own.body.data.id, res.body.data.id);
      });
    });

    describe('updateRole', () => {
      it('replaces name, description and every rule, and records an event', async () => {
        const { org, token } = await tenant(server);
        await send('POST', `/organizations/${org.canonical}/roles`, token, readers(org));
        const res = await send('PUT', `/organizations/${org.canonical}/roles/readers`, token, {
          name: 'Team readers',
          rules: [{ action: 'organization:team:*', effect: 'allow' }],
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.data.name, 'Team readers');
        assert.equal(res.body.data.description, '');
        assert.deepEqual(
          res.body.data.rules.map((r: any) => [r.action, r.resources]),
          [['organization:team:*', []]],
        );
        assert.deepEqual(
          (await rulesOf(org, 'readers')).map((r) => r.action),
          ['organization:team:*'],
        );
        assert.equal((await auditTrail(server, org.id)).at(-1)?.title, 'organization:role:update');
      });

      it('refuses built-in roles, canonical changes and unknown actions (422), changing nothing', async () => {
        const { org, token } = await tenant(server);
        await send('POST', `/organizations/${org.canonical}/roles`, token, readers(org));
        const trailBefore = (await auditTrail(server, org.id)).length;
        const builtin = await send('PUT', `/organizations/${org.canonical}/roles/organization-member`, token, {
          name: 'Members',
          rules: [{ action: 'organization:**', effect: 'allow' }],
        });
        assert.equal(builtin.status, 422);
        assert.match(builtin.body.errors[0].message, /built in/);
        assert.deepEqual(
          (await rulesOf(org, 'organization-member')).map((r) => r.action),
          BUILTIN_ROLES.find((r) => r.canonical === 'organization-member')?.rules.map((r) => r.action),
        );
        const rename = await send('PUT', `/organizations/${org.canonical}/roles/readers`, token, {
          name: 'Readers',
          canonical: 'other',
          rules: [],
        });
        assert.equal(rename.status, 422);
        const typo = await send('PUT', `/organizations/${org.canonical}/roles/readers`, token, {
          name: 'Readers',
          rules: [{ action: 'organization:project:raed', effect: 'allow' }],
        });
        assert.equal(typo.status, 422);
        assert.equal((await rulesOf(org, 'readers')).length, 2);
        assert.equal((await auditTrail(server, org.id)).length, trailBefore);
        assert.equal(
          (await send('PUT', `/organizations/${org.canonical}/roles/missing`, token, { name: 'Missing', rules: [] }))
            .status,
          404,
        );
        const other = await tenant(server);
        assert.equal(
          (await send('PUT', `/organizations/${org.canonical}/roles/readers`, other.token, { name: 'Mine', rules: [] }))
            .status,
          404,
        );
      });
    });

    describe('deleteRole', () => {
      it('deletes an unused custom role (204) and records an event', async () => {
        const { org, token } = await tenant(server);
        await send('POST', `/organizations/${org.canonical}/roles`, token, readers(org));
        const res = await send('DELETE', `/organizations/${org.canonical}/roles/readers`, token);
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        assert.ok(!(await roleRows(org)).some((r) => r.canonical === 'readers'));
        assert.equal((await rulesOf(org, 'readers')).length, 0);
        const trail = await auditTrail(server, org.id);
        assert.equal(trail.at(-1)?.title, 'organization:role:delete');
        assert.equal(trail.at(-1)?.tags.target, 'role:readers');
      });

      it('refuses a role in use by members or teams (409, naming how many) and built-in roles (422)', async () => {
        const { org, token } = await tenant(server);
        await send('POST', `/organizations/${org.canonical}/roles`, token, readers(org));
        await memberWith(org, 'readers');
        await memberWith(org, 'readers');
        const inUse = await send('DELETE', `/organizations/${org.canonical}/roles/readers`, token);
        assert.equal(inUse.status, 409);
        assert.match(inUse.body.errors[0].message, /2 members/);
        await db()
          .deleteFrom('memberships')
          .where('organization_id', '=', org.id)
          .where('role_id', 'in', (eb) =>
            eb
              .selectFrom('roles')
              .select('id')
              .where('canonical', '=', 'readers')
              .where('organization_id', '=', org.id),
          )
          .execute();
        const now = nowSeconds();
        const team = await db()
          .insertInto('teams')
          .values({
            organization_id: org.id,
            canonical: 'ops',
            name: 'Ops',
            owner_user_id: null,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const role = (await roleRows(org)).find((r) => r.canonical === 'readers');
        await db()
          .insertInto('team_roles')
          .values({ team_id: team.id, role_id: role?.id as number })
          .execute();
        const byTeam = await send('DELETE', `/organizations/${org.canonical}/roles/readers`, token);
        assert.equal(byTeam.status, 409);
        assert.match(byTeam.body.errors[0].message, /1 team/);
        const builtin = await send('DELETE', `/organizations/${org.canonical}/roles/default-no-permissions`, token);
        assert.equal(builtin.status, 422);
        assert.equal((await roleRows(org)).length, 6);
        assert.equal((await send('DELETE', `/organizations/${org.canonical}/roles/missing`, token)).status, 404);
        const reader = await memberWith(org, 'organization-member');
        assert.equal((await send('DELETE', `/organizations/${org.canonical}/roles/readers`, reader.token)).status, 403);
        const other = await tenant(server);
        assert.equal((await send('DELETE', `/organizations/${org.canonical}/roles/readers`, other.token)).status, 404);
        assert.equal((await roleRows(org)).length, 6);
      });
    });

    describe('getPolicies', () => {
      it('lists the whole catalog with stable 1-based ids, paged', async () => {
        const { org, token } = await tenant(server);
        const all = await get(`/organizations/${org.canonical}/policies`, token);
        assert.equal(all.status, 200);
        assert.equal(all.body.pagination.total, POLICIES.length);
        assert.equal(all.body.data.length, POLICIES.length);
        all.body.data.forEach((p: any, i: number) => {
          assert.equal(p.id, i + 1);
          assert.ok(isKnownAction(p.code));
          assert.ok(p.description.length > 0);
          assert.deepEqual(p.entities, p.code.split(':').slice(0, -1));
        });
        const page = await get(`/organizations/${org.canonical}/policies?page_size=10&page_index=2`, token);
        assert.deepEqual(
          page.body.data.map((p: any) => p.id),
          [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
        );
        assert.equal(page.body.data[0].code, POLICIES[10].code);
        const other = await tenant(server);
        const viewer = await (async () => {
          const u = await createUser(server);
          await addMember(server, other.org, u, 'default-project-viewer');
          return sessionToken(server, u);
        })();
        assert.equal((await get(`/organizations/${other.org.canonical}/policies`, viewer)).status, 403);
        assert.equal((await get(`/organizations/${org.canonical}/policies`, other.token)).status, 404);
      });
    });
  });
}
