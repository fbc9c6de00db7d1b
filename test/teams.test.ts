import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { customRole } from './helpers/api-keys.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const rules = (actions: string[]) => actions.map((action) => ({ action, resources: [] }));

async function eventTitles(server: TestServer, org: TestOrg): Promise<string[]> {
  const rows = await server.database.db
    .selectFrom('events')
    .select('title')
    .where('organization_id', '=', org.id)
    .execute();
  return rows.map((r) => r.title);
}

for (const engine of testEngines()) {
  describe(`teams and team members (${engine})`, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { user: TestUser; org: TestOrg; token: string };
    const teams = (suffix = '') => `/organizations/${org.canonical}/teams${suffix}`;
    const create = (body: Record<string, unknown>, as = token) => server.request('POST', teams(), { token: as, body });
    /** A user with an accepted membership in the organization: [user, membership id, token]. */
    const member = async (role = 'organization-member'): Promise<[TestUser, number, string]> => {
      const user = await createUser(server);
      const id = await addMember(server, org, user, role);
      return [user, id, sessionToken(server, user)];
    };

    before(async () => {
      server = await startServer(engine);
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
    });
    after(() => server.close());

    it('createTeam answers the full Team, owned by the creator by default', async () => {
      const res = await create({
        name: 'Platform Team',
        roles_canonical: ['organization-member', 'default-project-viewer'],
      });
      assert.equal(res.status, 200, res.text);
      const t = res.body.data;
      assert.equal(t.canonical, 'platform-team');
      assert.equal(t.name, 'Platform Team');
      assert.equal(t.owner.username, admin.username);
      assert.equal(t.owner.email, admin.email);
      assert.equal(typeof t.owner.mfa_enabled, 'boolean');
      assert.deepEqual(t.roles.map((r: any) => r.canonical).sort(), ['default-project-viewer', 'organization-member']);
      for (const role of t.roles) {
        assert.ok(role.rules.length > 0);
        assert.deepEqual(Object.keys(role.rules[0]).sort(), ['action', 'effect', 'id', 'resources']);
      }
      assert.equal(t.member_count, 0);
      assert.deepEqual(t.members_preview, []);
      assert.ok(t.created_at > 0 && t.updated_at > 0);
      assert.ok((await eventTitles(server, org)).includes('organization:team:create'));

      const [owner] = await member('default-no-permissions');
      const owned = await create({
        name: 'Owned',
        canonical: 'owned-team',
        owner: owner.username,
        roles_canonical: ['organization-member'],
      });
      assert.equal(owned.status, 200, owned.text);
      assert.equal(owned.body.data.owner.username, owner.username);
    });

    it('createTeam refuses bad input with a clear 4xx and creates nothing', async () => {
      const before = (await server.request('GET', teams(), { token })).body.pagination.total;
      const cases: Array<[Record<string, unknown>, number, RegExp]> = [
        [{ name: 'Platform Team', roles_canonical: ['organization-member'] }, 409, /canonical.*platform-team/],
        [{ name: 'Ghost', roles_canonical: ['organization-member', 'ghost-role'] }, 422, /'ghost-role'/],
        [{ name: 'Empty', roles_canonical: [] }, 422, /at least one role/],
        [
          { name: 'Orphan', owner: 'nobody-here', roles_canonical: ['organization-member'] },
          422,
          /owner: 'nobody-here'/,
        ],
        [{ name: 'Stranger', owner: other.user.username, roles_canonical: ['organization-member'] }, 422, /owner/],
        [{ name: 'ab', roles_canonical: ['organization-member'] }, 400, /name/],
        [{ name: 'Extra', roles_canonical: ['organization-member'], members: [] }, 400, /unknown field 'members'/],
        [{ name: 'Bad canonical', canonical: 'Bad!', roles_canonical: ['organization-member'] }, 400, /canonical/],
      ];
      for (const [body, status, message] of cases) {
        const res = await create(body);
        assert.equal(res.status, status, `${JSON.stringify(body)} -> ${res.text}`);
        assert.match(res.body.errors[0].message, message);
      }
      assert.equal((await server.request('GET', teams(), { token })).body.pagination.total, before);
    });

    it('getTeams pages, filters and orders, with member counts and previews of at most 6', async () => {
      const big = await create({ name: 'Big crowd', roles_canonical: ['organization-member'] });
      let lastMemberId = 0;
      for (let i = 0; i < 7; i++) {
        const [user, id] = await member();
        lastMemberId = id;
        const added = await server.request('POST', teams('/big-crowd/members'), {
          token,
          body: { username: user.username },
        });
        assert.equal(added.status, 200, added.text);
      }
      for (const name of ['Zeta squad', 'Alpha squad', 'Mid squad']) {
        assert.equal((await create({ name, roles_canonical: ['organization-member'] })).status, 200);
      }

      const all = await server.request('GET', teams(), { token });
      assert.equal(all.status, 200);
      const bigTeam = all.body.data.find((t: any) => t.id === big.body.data.id);
      assert.equal(bigTeam.member_count, 7);
      assert.equal(bigTeam.members_preview.length, 6);
      for (const m of bigTeam.members_preview) assert.ok(m.username && m.email && m.id);

      const squads = await server.request('GET', `${teams()}?team_name=SQUAD&order_by=name:desc`, { token });
      assert.deepEqual(
        squads.body.data.map((t: any) => t.name),
        ['Zeta squad', 'Mid squad', 'Alpha squad'],
      );
      const page = await server.request(
        'GET',
        `${teams()}?team_name=squad&order_by=name:asc&page_index=2&page_size=2`,
        {
          token,
        },
      );
      assert.deepEqual(
        page.body.data.map((t: any) => t.name),
        ['Zeta squad'],
      );
      assert.deepEqual(page.body.pagination, { index: 2, size: 2, total: 3 });
      const description = await server.request('GET', `${teams()}?team_description=alpha`, { token });
      assert.deepEqual(
        description.body.data.map((t: any) => t.name),
        ['Alpha squad'],
      );
      const withMember = await server.request('GET', `${teams()}?member_id=${lastMemberId}`, { token });
      assert.deepEqual(
        withMember.body.data.map((t: any) => t.canonical),
        ['big-crowd'],
      );
      const created = await server.request('GET', `${teams()}?team_created_at=${bigTeam.created_at}`, { token });
      assert.ok(created.body.data.some((t: any) => t.id === bigTeam.id));
      assert.equal((await server.request('GET', `${teams()}?order_by=secret:asc`, { token })).status, 400);
      assert.equal((await server.request('GET', `${teams()}?member_id=abc`, { token })).status, 400);
    });

    it('getTeam, updateTeam (rename, new canonical, new roles) and deleteTeam', async () => {
      await create({ name: 'Renamable', roles_canonical: ['organization-member'] });
      const got = await server.request('GET', teams('/renamable'), { token });
      assert.equal(got.status, 200);
      assert.equal(got.body.data.name, 'Renamable');
      const updated = await server.request('PUT', teams('/renamable'), {
        token,
        body: { name: 'Renamed', canonical: 'renamed', roles_canonical: ['default-project-viewer'] },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.data.canonical, 'renamed');
      assert.deepEqual(
        updated.body.data.roles.map((r: any) => r.canonical),
        ['default-project-viewer'],
      );
      assert.equal(updated.body.data.owner.username, admin.username);
      assert.equal((await server.request('GET', teams('/renamable'), { token })).status, 404);

      const clash = await server.request('PUT', teams('/renamed'), {
        token,
        body: { name: 'Renamed', canonical: 'platform-team', roles_canonical: ['default-project-viewer'] },
      });
      assert.equal(clash.status, 409);
      const noRole = await server.request('PUT', teams('/renamed'), {
        token,
        body: { name: 'Renamed', canonical: 'renamed', roles_canonical: ['missing-role'] },
      });
      assert.equal(noRole.status, 422);
      const kept = await server.request('GET', teams('/renamed'), { token });
      assert.deepEqual(
        kept.body.data.roles.map((r: any) => r.canonical),
        ['default-project-viewer'],
      );

      assert.equal((await server.request('DELETE', teams('/renamed'), { token })).status, 204);
      assert.equal((await server.request('GET', teams('/renamed'), { token })).status, 404);
      assert.equal((await server.request('DELETE', teams('/renamed'), { token })).status, 404);
      const titles = await eventTitles(server, org);
      assert.ok(titles.includes('organization:team:update'));
      assert.ok(titles.includes('organization:team:delete'));
    });

    it('a team read shows a role edited over HTTP at once (roles are cached between access writes)', async () => {
      const rules = (actions: string[]) => actions.map((action) => ({ action, effect: 'allow', resources: [] }));
      const roles = `/organizations/${org.canonical}/roles`;
      const role = await server.request('POST', roles, {
        token,
        body: { name: 'Cached role', canonical: 'cached-role', rules: rules(['organization:team:read']) },
      });
      assert.equal(role.status, 200, role.text);
      const made = await create({ name: 'Cache probe', roles_canonical: ['cached-role'] });
      assert.equal(made.status, 200, made.text);
      const actions = async () => {
        const res = await server.request('GET', teams('/cache-probe'), { token });
        assert.equal(res.status, 200, res.text);
        return res.body.data.roles.map((r: any) => [r.name, r.rules.map((rule: any) => rule.action)]);
      };
      // Twice: the second read is served from the cache.
      assert.deepEqual(await actions(), [['Cached role', ['organization:team:read']]]);
      assert.deepEqual(await actions(), [['Cached role', ['organization:team:read']]]);
      const edited = await server.request('PUT', `${roles}/cached-role`, {
        token,
        body: { name: 'Renamed role', canonical: 'cached-role', rules: rules(['organization:team:list']) },
      });
      assert.equal(edited.status, 200, edited.text);
      assert.deepEqual(await actions(), [['Renamed role', ['organization:team:list']]]);
      const listed = await server.request('GET', teams('?team_name=Cache probe'), { token });
      assert.deepEqual(
        listed.body.data[0].roles[0].rules.map((r: any) => r.action),
        ['organization:team:list'],
      );
    });

    it('owners act on their own team; only the owner or an admin changes the owner', async () => {
      const [owner, , ownerToken] = await member('default-no-permissions');
      const [bystander, , bystanderToken] = await member('default-no-permissions');
      await create({ name: 'Mine', owner: owner.username, roles_canonical: ['organization-member'] });
      await create({ name: 'Not mine', roles_canonical: ['organization-member'] });

      assert.equal((await server.request('GET', teams('/mine'), { token: ownerToken })).status, 200);
      assert.equal((await server.request('GET', teams('/not-mine'), { token: ownerToken })).status, 403);
      const visible = await server.request('GET', teams(), { token: ownerToken });
      assert.deepEqual(
        visible.body.data.map((t: any) => t.canonical),
        ['mine'],
      );
      assert.equal(visible.body.pagination.total, 1);

      const renamed = await server.request('PUT', teams('/mine'), {
        token: ownerToken,
        body: { name: 'Mine renamed', canonical: 'mine', roles_canonical: ['organization-member'] },
      });
      assert.equal(renamed.status, 200, renamed.text);
      // The owner may not add roles they do not hold, nor anyone to a team whose roles they lack.
      const escalate = await server.request('PUT', teams('/mine'), {
        token: ownerToken,
        body: { name: 'Mine renamed', canonical: 'mine', roles_canonical: ['organization-admin'] },
      });
      assert.equal(escalate.status, 403);
      const join = await server.request('POST', teams('/mine/members'), {
        token: ownerToken,
        body: { username: owner.username },
      });
      assert.equal(join.status, 403);

      const bystanderChange = await server.request('PUT', teams('/mine'), {
        token: bystanderToken,
        body: {
          name: 'Mine renamed',
          canonical: 'mine',
          owner: bystander.username,
          roles_canonical: ['organization-member'],
        },
      });
      assert.equal(bystanderChange.status, 403);
      const handOver = await server.request('PUT', teams('/mine'), {
        token: ownerToken,
        body: {
          name: 'Mine renamed',
          canonical: 'mine',
          owner: bystander.username,
          roles_canonical: ['organization-member'],
        },
      });
      assert.equal(handOver.status, 200);
      assert.equal(handOver.body.data.owner.username, bystander.username);
      assert.equal((await server.request('GET', teams('/mine'), { token: ownerToken })).status, 403);
      const back = await server.request('PUT', teams('/mine'), {
        token,
        body: {
          name: 'Mine renamed',
          canonical: 'mine',
          owner: owner.username,
          roles_canonical: ['organization-member'],
        },
      });
      assert.equal(back.body.data.owner.username, owner.username);
    });

    it("team roles add to a member's rights while they are in the team", async () => {
      await create({ name: 'Readers', roles_canonical: ['organization-member'] });
      const [user, memberId, userToken] = await member('default-no-permissions');
      assert.equal((await server.request('GET', teams('/platform-team'), { token: userToken })).status, 403);
      assert.equal((await server.request('GET', teams(), { token: userToken })).body.pagination.total, 0);

      const added = await server.request('POST', teams('/readers/members'), {
        token,
        body: { username: user.username },
      });
      assert.equal(added.status, 200, added.text);
      assert.equal(added.body.data.id, memberId);
      assert.equal(added.body.data.username, user.username);
      assert.equal((await server.request('GET', teams('/platform-team'), { token: userToken })).status, 200);
      assert.ok((await server.request('GET', teams(), { token: userToken })).body.pagination.total > 1);

      const removed = await server.request('DELETE', teams(`/readers/members/${memberId}`), { token });
      assert.equal(removed.status, 204);
      assert.equal((await server.request('GET', teams('/platform-team'), { token: userToken })).status, 403);
    });

    it('team members: assign, list, get and unassign by membership id', async () => {
      await create({ name: 'Crew', roles_canonical: ['default-project-viewer'] });
      const [first, firstId] = await member();
      const [second, secondId] = await member();
      for (const user of [first, second]) {
        const res = await server.request('POST', teams('/crew/members'), { token, body: { username: user.username } });
        assert.equal(res.status, 200, res.text);
      }
      const again = await server.request('POST', teams('/crew/members'), { token, body: { username: first.username } });
      assert.equal(again.status, 409);
      assert.match(again.body.errors[0].message, new RegExp(first.username));
      const stranger = await server.request('POST', teams('/crew/members'), {
        token,
        body: { username: other.user.username },
      });
      assert.equal(stranger.status, 422);
      assert.match(stranger.body.errors[0].message, new RegExp(other.user.username));
      const pending = await server.request('POST', `/organizations/${org.canonical}/members`, {
        token,
        body: { email: 'pending.crew@example.com', role_canonical: 'organization-member' },
      });
      assert.equal(pending.status, 200);

      const list = await server.request('GET', teams('/crew/members?page_size=1&page_index=2'), { token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.pagination, { index: 2, size: 1, total: 2 });
      assert.equal(list.body.data[0].id, secondId);
      const one = await server.request('GET', teams(`/crew/members/${firstId}`), { token });
      assert.equal(one.status, 200);
      assert.equal(one.body.data.username, first.username);
      assert.equal(one.body.data.email, first.email);
      assert.equal(
        (await server.request('GET', teams(`/crew/members/${pending.body.data.id}`), { token })).status,
        404,
      );

      assert.equal((await server.request('DELETE', teams(`/crew/members/${firstId}`), { token })).status, 204);
      assert.equal((await server.request('GET', teams(`/crew/members/${firstId}`), { token })).status, 404);
      assert.equal((await server.request('DELETE', teams(`/crew/members/${firstId}`), { token })).status, 404);
      const team = await server.request('GET', teams('/crew'), { token });
      assert.equal(team.body.data.member_count, 1);
      const titles = await eventTitles(server, org);
      assert.ok(titles.includes('organization:team:member:create'));
      assert.ok(titles.includes('organization:team:member:delete'));
    });

    it("another tenant's token gets a 404 with none of the organization's data", async () => {
      const [user, memberId] = await member();
      await server.request('POST', teams('/platform-team/members'), { token, body: { username: user.username } });
      const attempts: Array<[string, string, unknown]> = [
        ['GET', teams(), undefined],
        ['POST', teams(), { name: 'Intruders', roles_canonical: ['organization-member'] }],
        ['GET', teams('/platform-team'), undefined],
        [
          'PUT',
          teams('/platform-team'),
          { name: 'Hijacked', canonical: 'platform-team', roles_canonical: ['organization-member'] },
        ],
        ['DELETE', teams('/platform-team'), undefined],
        ['GET', teams('/platform-team/members'), undefined],
        ['POST', teams('/platform-team/members'), { username: other.user.username }],
        ['GET', teams(`/platform-team/members/${memberId}`), undefined],
        ['DELETE', teams(`/platform-team/members/${memberId}`), undefined],
      ];
      for (const [method, path, body] of attempts) {
        const res = await server.request(method, path, { token: other.token, body });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.ok(!res.text.includes('Platform Team') && !res.text.includes(user.username), `${method} ${path}`);
      }
      const intact = await server.request('GET', teams('/platform-team'), { token });
      assert.equal(intact.body.data.name, 'Platform Team');
      assert.ok(intact.body.data.members_preview.some((m: any) => m.username === user.username));
      // Their own organization does not see ours either.
      const theirs = await server.request('GET', `/organizations/${other.org.canonical}/teams`, { token: other.token });
      assert.equal(theirs.body.pagination.total, 0);
    });

    it('a caller with team rights but not admin rights cannot build an admin team', async () => {
      await customRole(server, org, 'team-manager', rules(['organization:team:*', 'organization:team:member:*']));
      const [, , managerToken] = await member('team-manager');
      const res = await create({ name: 'Admins', roles_canonical: ['organization-admin'] }, managerToken);
      assert.equal(res.status, 403);
      assert.match(res.body.errors[0].message, /cannot grant role 'organization-admin'/);
      assert.equal((await server.request('GET', teams('/admins'), { token })).status, 404);
      const reader = await create(
        { name: 'No rights team', roles_canonical: ['default-no-permissions'] },
        managerToken,
      );
      assert.equal(reader.status, 200, reader.text);
      assert.equal(
        (await server.request('POST', teams(), { body: { name: 'Anon', roles_canonical: ['organization-member'] } }))
          .status,
        401,
      );
    });
  });
}
