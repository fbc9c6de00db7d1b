import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listVisibleOrganizations } from '../src/modules/organizations/service.js';
import { nowSeconds } from '../src/platform/db/columns.js';
import { auditTrail, customRole, makeApiKey } from './helpers/api-keys.js';
import {
  addMember,
  createOrg,
  createUser,
  sessionToken,
  type TestOrg,
  type TestUser,
  tenant,
} from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

for (const engine of testEngines()) {
  describe(`organizations (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());

    const db = () => server.database.db;
    const get = (path: string, token: string) => server.request('GET', path, { token });
    const send = (method: string, path: string, token: string, body?: unknown) =>
      server.request(method, path, { token, body });

    const orgCount = async () => (await db().selectFrom('organizations').select('id').execute()).length;

    /** A member of `org` with a built-in role, and a plain session token. */
    async function memberOf(org: TestOrg, role: string): Promise<{ user: TestUser; token: string }> {
      const user = await createUser(server);
      await addMember(server, org, user, role);
      return { user, token: sessionToken(server, user) };
    }

    /** root -> child -> grandchild, administered by one user at the root. */
    async function tree() {
      const t = await tenant(server);
      const child = await createOrg(server, null, { parent: t.org });
      const grandchild = await createOrg(server, null, { parent: child });
      return { ...t, child, grandchild };
    }

    describe('getOrgs', () => {
      it('lists the organizations the user is a member of and all their descendants, nothing else', async () => {
        const { org, child, grandchild, token } = await tree();
        const other = await tenant(server);
        const res = await get('/organizations', token);
        assert.equal(res.status, 200);
        const canonicals = res.body.data.map((o: any) => o.canonical).sort();
        assert.deepEqual(canonicals, [org.canonical, child.canonical, grandchild.canonical].sort());
        assert.equal(res.body.pagination.total, 3);
        assert.ok(!res.text.includes(other.org.canonical));
      });

      it('presents every required Organization field', async () => {
        const { user, org, child, token } = await tree();
        const res = await get(`/organizations?organization_name=${encodeURIComponent(org.name)}`, token);
        const root = res.body.data.find((o: any) => o.canonical === org.canonical);
        assert.equal(root.id, org.id);
        assert.equal(root.is_root, false);
        assert.equal(root.has_children, true);
        assert.deepEqual(root.blocked, []);
        assert.equal(root.ci_url, '');
        assert.equal(root.ci_port, '');
        assert.equal(root.ci_team_name, '');
        assert.equal(root.can_create_appearance, true);
        assert.equal(root.can_use_dedicated_authentication, true);
        assert.equal(root.quotas, false);
        assert.equal(root.mfa_enabled, false);
        assert.equal(root.admins.length, 1);
        assert.equal(root.admins[0].username, user.username);
        assert.equal(root.admins[0].role.canonical, 'organization-admin');
        assert.equal(root.admins[0].invitation_state, 'accepted');
        const kid = (await get(`/organizations/${child.canonical}`, token)).body.data;
        assert.equal(kid.has_children, true);
        assert.deepEqual(kid.admins, []);
        assert.equal(kid.can_create_appearance, false, 'the parent does not let children create appearances');
      });

      it('ignores pending invitations', async () => {
        const owner = await tenant(server);
        const invitee = await createUser(server);
        const role = await db()
          .selectFrom('roles')
          .select('id')
          .where('organization_id', '=', owner.org.id)
          .where('canonical', '=', 'organization-member')
          .executeTakeFirstOrThrow();
        const now = nowSeconds();
        await db()
          .insertInto('memberships')
          .values({
            organization_id: owner.org.id,
            user_id: invitee.id,
            role_id: role.id,
            invitation_email: invitee.email,
            invitation_state: 'pending',
            invitation_token_hash: null,
            invitation_expires_at: now + 3600,
            invited_by: owner.user.id,
            invited_at: now,
            invitation_resent_at: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const token = sessionToken(server, invitee);
        assert.deepEqual((await get('/organizations', token)).body.data, []);
        assert.equal((await get(`/organizations/${owner.org.canonical}`, token)).status, 404);
      });

      it('filters by name (case-insensitive substring) and creation time, orders and pages in SQL', async () => {
        const user = await createUser(server);
        const token = sessionToken(server, user);
        for (const name of ['Alpha Team', 'beta 100%', 'Gamma_1']) {
          assert.equal((await send('POST', '/organizations', token, { name })).status, 200);
        }
        const byName = await get('/organizations?organization_name=ALPHA', token);
        assert.deepEqual(
          byName.body.data.map((o: any) => o.name),
          ['Alpha Team'],
        );
        // LIKE wildcards in the filter are literal characters.
        assert.deepEqual(
          (await get('/organizations?organization_name=%25', token)).body.data.map((o: any) => o.name),
          ['beta 100%'],
        );
        assert.deepEqual(
          (await get('/organizations?organization_name=a_1', token)).body.data.map((o: any) => o.name),
          ['Gamma_1'],
        );
        const desc = await get('/organizations?order_by=name:desc&page_size=2', token);
        assert.deepEqual(
          desc.body.data.map((o: any) => o.name),
          ['Gamma_1', 'beta 100%'],
        );
        assert.deepEqual(desc.body.pagination, { index: 1, size: 2, total: 3 });
        const page2 = await get('/organizations?order_by=name:desc&page_size=2&page_index=2', token);
        assert.deepEqual(
          page2.body.data.map((o: any) => o.name),
          ['Alpha Team'],
        );
        const createdAt = byName.body.data[0].created_at;
        const sameSecond = await get(`/organizations?organization_created_at=${createdAt}`, token);
        assert.ok(sameSecond.body.data.some((o: any) => o.name === 'Alpha Team'));
        assert.equal(
          (await get(`/organizations?organization_created_at=${createdAt - 100000}`, token)).body.pagination.total,
          0,
        );
        const bad = await get('/organizations?order_by=owner:asc', token);
        assert.equal(bad.status, 400);
        assert.match(bad.body.errors[0].message, /order_by/);
      });

      it('a session opened into a child sees only that child and its descendants', async () => {
        const { user, org, child, grandchild } = await tree();
        const token = sessionToken(server, user, child);
        const canonicals = (await get('/organizations', token)).body.data.map((o: any) => o.canonical).sort();
        assert.deepEqual(canonicals, [child.canonical, grandchild.canonical].sort());
        assert.ok(!canonicals.includes(org.canonical));
      });

      it('needs a token', async () => {
        assert.equal((await server.request('GET', '/organizations')).status, 401);
      });
    });

    describe('createOrg', () => {
      it('creates a root-level organization with the caller as admin, in one audited transaction', async () => {
        const user = await createUser(server);
        const token = sessionToken(server, user);
        const res = await send('POST', '/organizations', token, { name: 'Acme Corp Überwald' });
        assert.equal(res.status, 200);
        const org = res.body.data;
        assert.equal(org.canonical, 'acme-corp-uberwald');
        assert.equal(org.name, 'Acme Corp Überwald');
        assert.equal(org.has_children, false);
        assert.deepEqual(
          org.admins.map((a: any) => a.username),
          [user.username],
        );
        const roles = await db()
          .selectFrom('roles')
          .select('canonical')
          .where('organization_id', '=', org.id)
          .execute();
        assert.equal(roles.length, 5);
        const trail = await auditTrail(server, org.id);
        assert.equal(trail.length, 1);
        assert.equal(trail[0].title, 'organization:create');
        assert.equal(trail[0].tags.actor, user.username);
        assert.equal(trail[0].tags.target, `organization:${org.canonical}`);
        assert.equal((await get(`/organizations/${org.canonical}`, token)).status, 200);
      });

      it('refuses a duplicate canonical (409) and a bad body (400) without changing anything', async () => {
        const { org, token } = await tenant(server);
        const before = await orgCount();
        const dup = await send('POST', '/organizations', token, { name: 'Whatever', canonical: org.canonical });
        assert.equal(dup.status, 409);
        assert.match(dup.body.errors[0].message, new RegExp(org.canonical));
        const derived = await send('POST', '/organizations', token, { name: org.canonical });
        assert.equal(derived.status, 409);
        assert.match(derived.body.errors[0].message, /derived from the name/);
        assert.equal((await send('POST', '/organizations', token, { name: 'ab' })).status, 400);
        assert.equal((await send('POST', '/organizations', token, { name: '    ' })).status, 422);
        const long = await send('POST', '/organizations', token, { name: 'x'.repeat(201) });
        assert.equal(long.status, 422);
        assert.match(long.body.errors[0].message, /^name:/);
        assert.equal(
          (await send('POST', '/organizations', token, { name: 'Good name', canonical: 'Bad!' })).status,
          400,
        );
        assert.equal((await send('POST', '/organizations', token, { name: 'Good name', owner: 'x' })).status, 400);
        assert.equal(await orgCount(), before);
      });
    });

    describe('API keys', () => {
      it('see their own organization and its descendants, cannot create organizations, anchor breadcrumbs', async () => {
        const { user, org, child, grandchild } = await tree();
        const other = await tenant(server);
        const key = await makeApiKey(server, child, user);
        // getOrgs sees the key's organization and its descendants. (The API key resolver currently
        // refuses keys on every route outside /organizations/{org}, so this is checked on the service.)
        const keyActor = {
          kind: 'api_key' as const,
          readonly: false,
          userId: user.id,
          username: null,
          apiKeyId: key.id,
          organizationId: child.id,
        };
        const paging = { index: 1, size: 100, offset: 0 };
        const visible = await listVisibleOrganizations(db(), keyActor, {}, [], paging);
        assert.deepEqual(visible.items.map((o) => o.canonical).sort(), [child.canonical, grandchild.canonical].sort());
        assert.equal((await get(`/organizations/${org.canonical}`, key.token)).status, 404);
        assert.equal((await get(`/organizations/${other.org.canonical}`, key.token)).status, 404);
        const before = await orgCount();
        const refused = await send('POST', '/organizations', key.token, { name: 'Key made org' });
        assert.equal(refused.status, 403);
        assert.equal(await orgCount(), before);
        const chain = (await get(`/organizations/${grandchild.canonical}/ancestors`, key.token)).body.data;
        assert.deepEqual(
          chain.map((o: any) => o.canonical),
          [child.canonical, grandchild.canonical],
        );
        // A key with its rules may create children, where the key's rules allow it.
        const made = await send('POST', `/organizations/${child.canonical}/children`, key.token, { name: 'Key child' });
        assert.equal(made.status, 200);
        const reader = await makeApiKey(server, child, user, {
          rules: [{ action: 'organization:read', resources: [] }],
        });
        assert.equal(
          (await send('POST', `/organizations/${child.canonical}/children`, reader.token, { name: 'Nope child' }))
            .status,
          403,
        );
        const ask = await send('POST', `/organizations/${child.canonical}/can_do`, reader.token, {
          action: 'organization:children:create',
          entity_canonicals: [],
        });
        assert.deepEqual(ask.body.data, { ok: false, entity_canonicals: [] });
      });
    });

    describe('getOrg', () => {
      it('answers the organization to its members, 404 with no data to others, 403 without organization:read', async () => {
        const a = await tenant(server);
        const b = await tenant(server);
        assert.equal((await get(`/organizations/${a.org.canonical}`, a.token)).body.data.canonical, a.org.canonical);
        const foreign = await get(`/organizations/${a.org.canonical}`, b.token);
        assert.equal(foreign.status, 404);
        assert.ok(!foreign.text.includes(a.user.username));
        assert.equal(foreign.body.data, undefined);
        const nobody = await memberOf(a.org, 'default-no-permissions');
        assert.equal((await get(`/organizations/${a.org.canonical}`, nobody.token)).status, 403);
        assert.equal((await get('/organizations/no-such-org', a.token)).status, 404);
      });
    });

    describe('updateOrg', () => {
      it('changes the name and the flags it is given, keeps the others, and records an event', async () => {
        const { org, token } = await tenant(server);
        const res = await send('PUT', `/organizations/${org.canonical}`, token, { name: 'Renamed', quotas: true });
        assert.equal(res.status, 200);
        assert.equal(res.body.data.name, 'Renamed');
        assert.equal(res.body.data.quotas, true);
        assert.equal(res.body.data.canonical, org.canonical);
        const again = await send('PUT', `/organizations/${org.canonical}`, token, {
          name: 'Renamed',
          mfa_enabled: true,
        });
        assert.equal(again.body.data.quotas, true, 'an omitted flag keeps its value');
        assert.equal(again.body.data.mfa_enabled, true);
        const trail = await auditTrail(server, org.id);
        assert.deepEqual(
          trail.map((e) => e.title),
          ['organization:update', 'organization:update'],
        );
      });

      it('lets a parent decide what children may do', async () => {
        const { org, child, grandchild, token } = await tree();
        const refused = await send('PUT', `/organizations/${child.canonical}`, token, {
          name: 'Child',
          is_using_dedicated_authentication: true,
        });
        assert.equal(refused.status, 422);
        assert.match(refused.body.errors[0].message, /is_using_dedicated_authentication/);
        await send('PUT', `/organizations/${org.canonical}`, token, {
          name: 'Root',
          can_children_use_dedicated_authentication: true,
          can_children_create_appearance: true,
        });
        const kid = await send('PUT', `/organizations/${child.canonical}`, token, {
          name: 'Child',
          is_using_dedicated_authentication: true,
        });
        assert.equal(kid.status, 200);
        assert.equal(kid.body.data.can_use_dedicated_authentication, true);
        assert.equal(kid.body.data.is_using_dedicated_authentication, true);
        assert.equal(kid.body.data.can_create_appearance, true);
        // The grandchild is limited by every ancestor: the child has not opened appearances to its children.
        const gc = (await get(`/organizations/${grandchild.canonical}`, token)).body.data;
        assert.equal(gc.can_create_appearance, false);
        await send('PUT', `/organizations/${org.canonical}`, token, {
          name: 'Root',
          can_children_use_dedicated_authentication: false,
        });
        const after = (await get(`/organizations/${child.canonical}`, token)).body.data;
        assert.equal(after.can_use_dedicated_authentication, false);
        assert.equal(after.is_using_dedicated_authentication, false);
      });

      it('refuses outsiders (404), read-only members (403) and bad bodies (400), changing nothing', async () => {
        const a = await tenant(server);
        const b = await tenant(server);
        const reader = await memberOf(a.org, 'organization-member');
        const path = `/organizations/${a.org.canonical}`;
        assert.equal((await send('PUT', path, b.token, { name: 'Stolen' })).status, 404);
        assert.equal((await send('PUT', path, reader.token, { name: 'Stolen' })).status, 403);
        assert.equal((await send('PUT', path, a.token, { name: 'x' })).status, 400);
        assert.equal((await send('PUT', path, a.token, { name: 'Fine', canonical: 'other' })).status, 400);
        assert.equal((await get(path, a.token)).body.data.name, a.org.name);
        assert.deepEqual(await auditTrail(server, a.org.id), []);
      });
    });

    describe('deleteOrg', () => {
      it('refuses while children exist (409) and changes nothing', async () => {
        const { org, child, token } = await tree();
        const res = await send('DELETE', `/organizations/${org.canonical}`, token);
        assert.equal(res.status, 409);
        assert.match(res.body.errors[0].message, /1 child organization/);
        assert.equal((await get(`/organizations/${org.canonical}`, token)).status, 200);
        assert.equal((await get(`/organizations/${child.canonical}`, token)).status, 200);
      });

      it('removes the organization and everything under it in one transaction', async () => {
        const { user, org, child, grandchild, token } = await tree();
        const member = await memberOf(grandchild, 'organization-member');
        const now = nowSeconds();
        const roleId = await customRole(server, grandchild, 'custom', [{ action: 'organization:read', resources: [] }]);
        const team = await db()
          .insertInto('teams')
          .values({
            organization_id: grandchild.id,
            canonical: 'ops',
            name: 'Ops',
            owner_user_id: user.id,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await db().insertInto('team_roles').values({ team_id: team.id, role_id: roleId }).execute();
        await db()
          .insertInto('team_members')
          .values({ team_id: team.id, user_id: member.user.id, created_at: now })
          .execute();
        const key = await db()
          .insertInto('api_keys')
          .values({
            organization_id: grandchild.id,
            canonical: 'ci',
            name: 'CI',
            description: '',
            owner_user_id: user.id,
            created_by: user.id,
            prefix: `p${Math.random().toString(36).slice(2, 12)}`,
            token_hash: 'x'.repeat(64),
            last_seven: 'abcdefg',
            readonly: 0,
            last_used_at: null,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await db()
          .insertInto('api_key_rules')
          .values({ api_key_id: key.id, action: 'organization:**', effect: 'allow', resources: '[]' })
          .execute();
        await send('PUT', `/organizations/${grandchild.canonical}`, token, { name: 'Leaf' });

        const res = await send('DELETE', `/organizations/${grandchild.canonical}`, token);
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        const id = grandchild.id;
        const left = async (table: 'memberships' | 'roles' | 'teams' | 'api_keys' | 'events') =>
          (await db().selectFrom(table).select('id').where('organization_id', '=', id).execute()).length;
        for (const table of ['memberships', 'roles', 'teams', 'api_keys', 'events'] as const) {
          assert.equal(await left(table), 0, `${table} left behind`);
        }
        assert.equal(
          (await db().selectFrom('role_rules').select('id').where('role_id', '=', roleId).execute()).length,
          0,
        );
        assert.equal(
          (await db().selectFrom('team_members').select('user_id').where('team_id', '=', team.id).execute()).length,
          0,
        );
        assert.equal(
          (await db().selectFrom('team_roles').select('role_id').where('team_id', '=', team.id).execute()).length,
          0,
        );
        assert.equal(
          (await db().selectFrom('api_key_rules').select('id').where('api_key_id', '=', key.id).execute()).length,
          0,
        );
        assert.equal(
          (await db().selectFrom('users').select('id').where('id', '=', member.user.id).execute()).length,
          1,
        );
        assert.equal((await get(`/organizations/${grandchild.canonical}`, token)).status, 404);
        // The parent keeps the record of the deletion.
        const trail = await auditTrail(server, child.id);
        assert.equal(trail.at(-1)?.title, 'organization:delete');
        assert.equal(trail.at(-1)?.tags.target, `organization:${grandchild.canonical}`);
        // The rest of the tree is untouched; with no children left, the child can go too, then the root.
        assert.equal((await send('DELETE', `/organizations/${child.canonical}`, token)).status, 204);
        assert.equal((await send('DELETE', `/organizations/${org.canonical}`, token)).status, 204);
        assert.equal((await get('/organizations', token)).body.pagination.total, 0);
      });

      it('is refused to outsiders (404) and to members without organization:delete (403)', async () => {
        const a = await tenant(server);
        const b = await tenant(server);
        const creator = await memberOf(a.org, 'default-project-creator');
        assert.equal((await send('DELETE', `/organizations/${a.org.canonical}`, b.token)).status, 404);
        assert.equal((await send('DELETE', `/organizations/${a.org.canonical}`, creator.token)).status, 403);
        assert.equal((await get(`/organizations/${a.org.canonical}`, a.token)).status, 200);
      });
    });

    describe('getSummary', () => {
      it('counts accepted members, teams, roles and credentials; other kinds are 0 until their modules exist', async () => {
        const { org, token } = await tenant(server);
        await memberOf(org, 'organization-member');
        await memberOf(org, 'default-no-permissions');
        const now = nowSeconds();
        await db()
          .insertInto('teams')
          .values({
            organization_id: org.id,
            canonical: 'blue',
            name: 'Blue',
            owner_user_id: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const credential = await server.request('POST', `/organizations/${org.canonical}/credentials`, {
          token,
          body: { name: 'Deploy key', type: 'basic_auth', path: 'deploy', raw: { username: 'u', password: 'p' } },
        });
        assert.equal(credential.status, 200, credential.text);
        const res = await get(`/organizations/${org.canonical}/summary`, token);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.data, {
          users: 3,
          teams: 1,
          roles: 5,
          projects: 0,
          pipelines: 0,
          // The built-in `vault` and one made through the API.
          credentials: 2,
          config_repositories: 0,
          service_catalog_sources: 0,
          service_catalogs: 0,
        });
        const other = await tenant(server);
        const foreign = await get(`/organizations/${org.canonical}/summary`, other.token);
        assert.equal(foreign.status, 404);
        assert.equal(foreign.body.data, undefined);
      });
    });

    describe('getAncestors', () => {
      it('answers the chain from the nearest organization where the caller stands down to the one asked', async () => {
        const { user, org, child, grandchild, token } = await tree();
        const chain = async (t: string, target: TestOrg) =>
          (await get(`/organizations/${target.canonical}/ancestors`, t)).body.data.map((o: any) => o.canonical);
        assert.deepEqual(await chain(token, grandchild), [org.canonical, child.canonical, grandchild.canonical]);
        assert.deepEqual(await chain(token, org), [org.canonical]);
        // A member of the middle organization starts there.
        const middle = await memberOf(child, 'organization-member');
        assert.deepEqual(await chain(middle.token, grandchild), [child.canonical, grandchild.canonical]);
        // So does a session opened into the middle organization, even for a member of the root.
        assert.deepEqual(await chain(sessionToken(server, user, child), grandchild), [
          child.canonical,
          grandchild.canonical,
        ]);
        const res = await get(`/organizations/${grandchild.canonical}/ancestors?page_size=1&page_index=2`, token);
        assert.deepEqual(res.body.pagination, { index: 2, size: 1, total: 3 });
        assert.equal(res.body.data[0].canonical, child.canonical);
        const other = await tenant(server);
        assert.equal((await get(`/organizations/${grandchild.canonical}/ancestors`, other.token)).status, 404);
      });
    });

    describe('organization children', () => {
      it('createChild needs organization:children:create in the parent; nobody becomes a member', async () => {
        const { user, org, token } = await tenant(server);
        const reader = await memberOf(org, 'organization-member');
        const refused = await send('POST', `/organizations/${org.canonical}/children`, reader.token, { name: 'Nope' });
        assert.equal(refused.status, 403);
        const before = await orgCount();
        const res = await send('POST', `/organizations/${org.canonical}/children`, token, { name: 'Europe Branch' });
        assert.equal(res.status, 200);
        const child = res.body.data;
        assert.equal(child.canonical, 'europe-branch');
        assert.deepEqual(child.admins, []);
        assert.equal(await orgCount(), before + 1);
        const memberships = await db()
          .selectFrom('memberships')
          .select('id')
          .where('organization_id', '=', child.id)
          .execute();
        assert.equal(memberships.length, 0);
        const row = await db()
          .selectFrom('organizations')
          .select('parent_id')
          .where('id', '=', child.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.parent_id, org.id);
        // Who created it is recorded on both sides.
        const parentTrail = await auditTrail(server, org.id);
        assert.equal(parentTrail.at(-1)?.title, 'organization:children:create');
        assert.equal(parentTrail.at(-1)?.tags.target, 'organization:europe-branch');
        const childTrail = await auditTrail(server, child.id);
        assert.equal(childTrail[0].title, 'organization:create');
        assert.equal(childTrail[0].tags.actor, user.username);
        // The parent's admin reaches the child through the parent.
        assert.equal((await get(`/organizations/${child.canonical}`, token)).status, 200);
        assert.equal((await get(`/organizations/${org.canonical}`, token)).body.data.has_children, true);
        const dup = await send('POST', `/organizations/${org.canonical}/children`, token, { name: 'Europe Branch' });
        assert.equal(dup.status, 409);
        assert.equal(await orgCount(), before + 1);
        const other = await tenant(server);
        assert.equal(
          (await send('POST', `/organizations/${org.canonical}/children`, other.token, { name: 'Sneaky' })).status,
          404,
        );
      });

      it('getChildren lists direct children only, with filters, order and paging', async () => {
        const { org, token } = await tenant(server);
        for (const name of ['Zulu Child', 'Alpha Child', 'Mike Child']) {
          assert.equal((await send('POST', `/organizations/${org.canonical}/children`, token, { name })).status, 200);
        }
        const mike = await db()
          .selectFrom('organizations')
          .selectAll()
          .where('name', '=', 'Mike Child')
          .executeTakeFirstOrThrow();
        await createOrg(server, null, { parent: mike as TestOrg });
        const res = await get(`/organizations/${org.canonical}/children`, token);
        assert.deepEqual(
          res.body.data.map((o: any) => o.name),
          ['Alpha Child', 'Mike Child', 'Zulu Child'],
        );
        assert.equal(res.body.data[1].has_children, true);
        const desc = await get(`/organizations/${org.canonical}/children?order_by=name:desc&page_size=1`, token);
        assert.deepEqual(
          desc.body.data.map((o: any) => o.name),
          ['Zulu Child'],
        );
        assert.equal(desc.body.pagination.total, 3);
        // Clients name the listed object's own fields with its prefix; an unknown field stays a 400.
        const byCanonical = await get(
          `/organizations/${org.canonical}/children?order_by=organization_canonical:desc`,
          token,
        );
        assert.equal(byCanonical.status, 200, byCanonical.text);
        assert.deepEqual(
          byCanonical.body.data.map((o: any) => o.canonical),
          [...byCanonical.body.data.map((o: any) => o.canonical)].sort().reverse(),
        );
        const unknown = await get(`/organizations/${org.canonical}/children?order_by=organization_owner:asc`, token);
        assert.equal(unknown.status, 400);
        assert.match(unknown.body.errors[0].message, /cannot order by 'organization_owner'/);
        const filtered = await get(`/organizations/${org.canonical}/children?organization_name=mike`, token);
        assert.deepEqual(
          filtered.body.data.map((o: any) => o.name),
          ['Mike Child'],
        );
        const at = new Date(mike.created_at * 1000).toISOString();
        const byDate = await get(`/organizations/${org.canonical}/children?organization_created_at=${at}`, token);
        assert.ok(byDate.body.data.some((o: any) => o.name === 'Mike Child'));
        const other = await tenant(server);
        const foreign = await get(`/organizations/${org.canonical}/children`, other.token);
        assert.equal(foreign.status, 404);
        assert.ok(!foreign.text.includes('Child'));
      });
    });

    describe('parent and child', () => {
      it("an admin of the parent reads and updates a child and the child's roles", async () => {
        const { org, token } = await tenant(server);
        const child = await createOrg(server, null, { parent: org });
        assert.equal((await get(`/organizations/${child.canonical}`, token)).status, 200);
        assert.equal(
          (await send('PUT', `/organizations/${child.canonical}`, token, { name: 'Child renamed' })).status,
          200,
        );
        const roles = await get(`/organizations/${child.canonical}/roles`, token);
        assert.equal(roles.status, 200);
        assert.equal(roles.body.pagination.total, 5);
        const created = await send('POST', `/organizations/${child.canonical}/roles`, token, {
          name: 'Child auditors',
          rules: [{ action: 'organization:event:read', effect: 'allow' }],
        });
        assert.equal(created.status, 200);
        const updated = await send('PUT', `/organizations/${child.canonical}/roles/child-auditors`, token, {
          name: 'Child auditors',
          rules: [{ action: 'organization:read', effect: 'allow' }],
        });
        assert.equal(updated.status, 200);
      });

      it('a member of the child gets 404 on the parent; a session opened into a child cannot reach the parent', async () => {
        const { user, org } = await tenant(server);
        const child = await createOrg(server, null, { parent: org });
        const childAdmin = await memberOf(child, 'organization-admin');
        assert.equal((await get(`/organizations/${child.canonical}`, childAdmin.token)).status, 200);
        for (const path of ['', '/roles', '/summary', '/children']) {
          const res = await get(`/organizations/${org.canonical}${path}`, childAdmin.token);
          assert.equal(res.status, 404, path);
          assert.ok(!res.text.includes(user.username));
        }
        const canDo = await send('POST', `/organizations/${org.canonical}/can_do`, childAdmin.token, {
          action: 'organization:read',
          entity_canonicals: [],
        });
        assert.equal(canDo.status, 404);
        // The parent's own admin, with a session opened into the child.
        const scoped = sessionToken(server, user, child);
        assert.equal((await get(`/organizations/${child.canonical}`, scoped)).status, 200);
        assert.equal((await get(`/organizations/${org.canonical}`, scoped)).status, 404);
        assert.equal((await send('PUT', `/organizations/${org.canonical}`, scoped, { name: 'Nope' })).status, 404);
      });
    });

    describe('canDo', () => {
      it('answers from the enforcement engine for every standing, and refuses unknown actions', async () => {
        const { org, token } = await tenant(server);
        const ask = (t: string, action: string, entity_canonicals: string[] = []) =>
          send('POST', `/organizations/${org.canonical}/can_do`, t, { action, entity_canonicals });
        const yes = await ask(token, 'organization:team:delete', ['anything']);
        assert.equal(yes.status, 200);
        assert.deepEqual(yes.body.data, { ok: true, entity_canonicals: ['anything'] });
        const reader = await memberOf(org, 'organization-member');
        assert.equal((await ask(reader.token, 'organization:team:read', ['t'])).body.data.ok, true);
        assert.equal((await ask(reader.token, 'organization:team:create')).body.data.ok, false);
        assert.equal((await ask(reader.token, 'organization:credential:read', ['c'])).body.data.ok, false);
        const nobody = await memberOf(org, 'default-no-permissions');
        const none = await ask(nobody.token, 'organization:read');
        assert.equal(none.status, 200, 'any standing in the organization may ask');
        assert.equal(none.body.data.ok, false);
        const unknown = await ask(token, 'organization:teem:read');
        assert.equal(unknown.status, 422);
        assert.match(unknown.body.errors[0].message, /organization:teem:read/);
        assert.equal((await ask(token, 'organization:team:*')).status, 422);
        const tooMany = await ask(token, 'organization:team:read', ['a', 'b']);
        assert.equal(tooMany.status, 422);
        assert.match(tooMany.body.errors[0].message, /entity_canonicals/);
        assert.equal(
          (await send('POST', `/organizations/${org.canonical}/can_do`, token, { action: 'x' })).status,
          400,
        );
        const other = await tenant(server);
        assert.equal((await ask(other.token, 'organization:read')).status, 404);
      });

      it('an owner may act on the entity it owns, as enforcement allows', async () => {
        const { org } = await tenant(server);
        const owner = await memberOf(org, 'default-no-permissions');
        const now = nowSeconds();
        await db()
          .insertInto('teams')
          .values({
            organization_id: org.id,
            canonical: 'mine',
            name: 'Mine',
            owner_user_id: owner.user.id,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const ask = (action: string, entity_canonicals: string[]) =>
          send('POST', `/organizations/${org.canonical}/can_do`, owner.token, { action, entity_canonicals });
        assert.equal((await ask('organization:team:update', ['mine'])).body.data.ok, true);
        assert.equal((await ask('organization:team:member:create', ['mine'])).body.data.ok, true);
        assert.equal((await ask('organization:team:update', ['theirs'])).body.data.ok, false);
      });
    });
  });
}
