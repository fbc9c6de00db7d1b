import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { acceptInvitation } from '../src/modules/members/service.js';
import { sha256 } from '../src/platform/crypto/hashing.js';
import { nowSeconds } from '../src/platform/db/columns.js';
import { customRole } from './helpers/api-keys.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { outboxMails } from './helpers/outbox.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const rules = (actions: string[]) => actions.map((action) => ({ action, resources: [] }));

/** Every invitation token mailed to an address, oldest first. */
function mailedTokens(server: TestServer, email: string): string[] {
  return outboxMails(server, email).flatMap((mail) => /Your invitation token: (\S+)/.exec(mail)?.[1] ?? []);
}

async function events(server: TestServer, org: TestOrg): Promise<Array<{ title: string; tags: string }>> {
  return server.database.db
    .selectFrom('events')
    .select(['title', 'tags'])
    .where('organization_id', '=', org.id)
    .orderBy('id')
    .execute();
}

for (const engine of testEngines()) {
  describe(`organization members and invitations (${engine})`, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { user: TestUser; org: TestOrg; token: string };
    const path = (suffix = '') => `/organizations/${org.canonical}/members${suffix}`;

    before(async () => {
      server = await startServer(engine);
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
    });
    after(() => server.close());

    const invite = (email: string, role = 'organization-member', as = token) =>
      server.request('POST', path(), { token: as, body: { email, role_canonical: role } });

    it('inviteUserToOrgMember creates a pending member, stores only a hash and mails the token', async () => {
      const res = await invite('New.Person@Example.COM');
      assert.equal(res.status, 200, res.text);
      const m = res.body.data;
      assert.equal(m.invitation_state, 'pending');
      assert.equal(m.invitation_email, 'new.person@example.com');
      assert.equal(m.role.canonical, 'organization-member');
      assert.ok(m.role.rules.length > 0);
      for (const rule of m.role.rules)
        assert.deepEqual(Object.keys(rule).sort(), ['action', 'effect', 'id', 'resources']);
      assert.equal(m.invited_by.username, admin.username);
      assert.equal(m.invited_by.role.canonical, 'organization-admin');
      assert.ok(m.invited_at > 0);
      assert.equal(m.username, undefined);

      const [mailed] = mailedTokens(server, 'new.person@example.com');
      assert.ok(mailed, 'the invitation mail carries the token');
      const row = await server.database.db
        .selectFrom('memberships')
        .selectAll()
        .where('id', '=', m.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.invitation_token_hash, sha256(mailed));
      assert.equal(row.user_id, null);
      assert.equal(row.invited_by, admin.id);
      const week = 7 * 24 * 3600;
      assert.ok(Math.abs(Number(row.invitation_expires_at) - (nowSeconds() + week)) < 60);

      const pending = await server.request('GET', `/members/verify/${mailed}`);
      assert.equal(pending.status, 200);
      assert.deepEqual(pending.body, { data: { email: 'new.person@example.com' } });
      assert.equal((await server.request('GET', '/members/verify/not-a-real-token')).status, 404);
      assert.ok((await events(server, org)).some((e) => e.title === 'organization:member:create'));
    });

    it('refuses duplicates, existing members and unknown roles, changing nothing', async () => {
      const before = await server.request('GET', path(), { token });
      const again = await invite('new.person@example.com');
      assert.equal(again.status, 409);
      assert.match(again.body.errors[0].message, /pending invitation.*resend/);
      const member = await invite(admin.email.toUpperCase());
      assert.equal(member.status, 409);
      assert.match(member.body.errors[0].message, /already a member/);
      const role = await invite('someone@example.com', 'no-such-role');
      assert.equal(role.status, 422);
      assert.match(role.body.errors[0].message, /'no-such-role'/);
      const badEmail = await invite('not-an-email');
      assert.equal(badEmail.status, 400);
      const extra = await server.request('POST', path(), {
        token,
        body: { email: 'x@example.com', role_canonical: 'organization-member', admin: true },
      });
      assert.equal(extra.status, 400);
      const after = await server.request('GET', path(), { token });
      assert.equal(after.body.pagination.total, before.body.pagination.total);
      assert.deepEqual(mailedTokens(server, 'someone@example.com'), []);
    });

    it('resendMemberInvitation issues a new token and the old one stops working', async () => {
      const res = await invite('resend.me@example.com');
      const id = res.body.data.id;
      const [first] = mailedTokens(server, 'resend.me@example.com');
      assert.equal((await server.request('PUT', path(`/${id}/resend`))).status, 401);
      const resent = await server.request('PUT', path(`/${id}/resend`), { token });
      assert.equal(resent.status, 204, resent.text);
      const tokens = mailedTokens(server, 'resend.me@example.com');
      assert.equal(tokens.length, 2);
      assert.notEqual(tokens[1], first);
      assert.equal((await server.request('GET', `/members/verify/${first}`)).status, 404);
      assert.equal((await server.request('GET', `/members/verify/${tokens[1]}`)).status, 200);
      const shown = await server.request('GET', path(`/${id}`), { token });
      assert.ok(shown.body.data.invitation_resent_at > 0);
      assert.ok((await events(server, org)).some((e) => e.title === 'organization:member:resend'));

      // Only pending invitations; only with the right; never across tenants.
      const adminMember = (await server.request('GET', `${path()}?user_canonical=${admin.username}`, { token })).body
        .data[0];
      assert.equal((await server.request('PUT', path(`/${adminMember.id}/resend`), { token })).status, 409);
      const reader = await createUser(server);
      await addMember(server, org, reader, 'organization-member');
      const readerToken = sessionToken(server, reader);
      assert.equal((await server.request('PUT', path(`/${id}/resend`), { token: readerToken })).status, 403);
      const foreign = await server.request('PUT', path(`/${id}/resend`), { token: other.token });
      assert.equal(foreign.status, 404);
      assert.equal(mailedTokens(server, 'resend.me@example.com').length, 2);
    });

    it('getOrgMembers filters, orders and pages in SQL', async () => {
      const alice = await createUser(server, { username: `alice-${engine}` });
      await server.database.db.updateTable('users').set({ given_name: 'Alicia' }).where('id', '=', alice.id).execute();
      await addMember(server, org, alice, 'default-project-viewer');

      const pending = await server.request('GET', `${path()}?invitation_state=pending`, { token });
      assert.equal(pending.status, 200);
      assert.ok(pending.body.data.length >= 2);
      for (const m of pending.body.data) assert.equal(m.invitation_state, 'pending');

      const byName = await server.request('GET', `${path()}?user_given_name=LICI`, { token });
      assert.deepEqual(
        byName.body.data.map((m: any) => m.username),
        [alice.username],
      );
      const byRole = await server.request('GET', `${path()}?role_name=project%20viewer`, { token });
      assert.deepEqual(
        byRole.body.data.map((m: any) => m.username),
        [alice.username],
      );
      const byUser = await server.request('GET', `${path()}?user_canonical=${alice.username}`, { token });
      assert.equal(byUser.body.data[0].email, alice.email);
      assert.equal(byUser.body.data[0].mfa_enabled, false);

      const all = await server.request('GET', path(), { token });
      const paged = await server.request('GET', `${path()}?page_index=2&page_size=2&order_by=id:desc`, { token });
      assert.equal(paged.body.pagination.total, all.body.pagination.total);
      const ids = all.body.data.map((m: any) => m.id).sort((a: number, b: number) => b - a);
      assert.deepEqual(
        paged.body.data.map((m: any) => m.id),
        ids.slice(2, 4),
      );
      const bad = await server.request('GET', `${path()}?order_by=password:asc`, { token });
      assert.equal(bad.status, 400);

      const none = await createUser(server);
      await addMember(server, org, none, 'default-no-permissions');
      assert.equal((await server.request('GET', path(), { token: sessionToken(server, none) })).status, 403);
    });

    it("another tenant's token gets a 404 with none of the organization's data", async () => {
      const list = await server.request('GET', path(), { token: other.token });
      assert.equal(list.status, 404);
      assert.ok(!list.text.includes(admin.email));
      const adminMember = (await server.request('GET', `${path()}?user_canonical=${admin.username}`, { token })).body
        .data[0];
      for (const [method, suffix, body] of [
        ['GET', `/${adminMember.id}`, undefined],
        ['PUT', `/${adminMember.id}`, { role_canonical: 'organization-member' }],
        ['DELETE', `/${adminMember.id}`, undefined],
      ] as const) {
        const res = await server.request(method, path(suffix), { token: other.token, body });
        assert.equal(res.status, 404, `${method} ${suffix}`);
        assert.ok(!res.text.includes(admin.username));
      }
      // A member id of another organization is not found through this one.
      const theirs = (
        await server.request('GET', `/organizations/${other.org.canonical}/members`, { token: other.token })
      ).body.data[0];
      assert.equal((await server.request('GET', path(`/${theirs.id}`), { token })).status, 404);
      const still = await server.request('GET', path(`/${adminMember.id}`), { token });
      assert.equal(still.body.data.role.canonical, 'organization-admin');
    });

    it('updateOrgMember changes the role but never demotes the last admin', async () => {
      const solo = await tenant(server);
      const soloPath = `/organizations/${solo.org.canonical}/members`;
      const self = (await server.request('GET', soloPath, { token: solo.token })).body.data[0];
      const demote = await server.request('PUT', `${soloPath}/${self.id}`, {
        token: solo.token,
        body: { role_canonical: 'organization-member' },
      });
      assert.equal(demote.status, 409);
      assert.match(demote.body.errors[0].message, /last organization-admin/);
      const remove = await server.request('DELETE', `${soloPath}/${self.id}`, { token: solo.token });
      assert.equal(remove.status, 409);
      const unchanged = await server.request('GET', `${soloPath}/${self.id}`, { token: solo.token });
      assert.equal(unchanged.body.data.role.canonical, 'organization-admin');

      const second = await createUser(server);
      const secondId = await addMember(server, solo.org, second, 'organization-member');
      const promote = await server.request('PUT', `${soloPath}/${secondId}`, {
        token: solo.token,
        body: { role_canonical: 'organization-admin' },
      });
      assert.equal(promote.status, 200);
      assert.equal(promote.body.data.role.canonical, 'organization-admin');
      const unknown = await server.request('PUT', `${soloPath}/${secondId}`, {
        token: solo.token,
        body: { role_canonical: 'nope-role' },
      });
      assert.equal(unknown.status, 422);
      const nowOk = await server.request('PUT', `${soloPath}/${self.id}`, {
        token: solo.token,
        body: { role_canonical: 'organization-member' },
      });
      assert.equal(nowOk.status, 200);
      assert.equal(nowOk.body.data.role.canonical, 'organization-member');
      assert.equal((await server.request('GET', `${soloPath}/9999999`, { token: solo.token })).status, 404);
      assert.ok((await events(server, solo.org)).some((e) => e.title === 'organization:member:update'));
    });

    it('nobody grants a role holding rights they lack', async () => {
      await customRole(
        server,
        org,
        'member-manager',
        rules(['organization:member:*', 'organization:**:read', 'organization:**:list']),
      );
      const manager = await createUser(server);
      await addMember(server, org, manager, 'member-manager');
      const managerToken = sessionToken(server, manager);
      const escalate = await invite('crony@example.com', 'organization-admin', managerToken);
      assert.equal(escalate.status, 403);
      assert.match(escalate.body.errors[0].message, /cannot grant role 'organization-admin'/);
      assert.equal((await invite('reader@example.com', 'organization-member', managerToken)).status, 200);
      const adminMember = (await server.request('GET', `${path()}?user_canonical=${admin.username}`, { token })).body
        .data[0];
      const demoteAdmin = await server.request('DELETE', path(`/${adminMember.id}`), { token: managerToken });
      assert.equal(demoteAdmin.status, 403);
    });

    it('removeOrgMember cancels a pending invitation and takes a member out of its teams', async () => {
      const res = await invite('cancel.me@example.com');
      const [mailed] = mailedTokens(server, 'cancel.me@example.com');
      const removed = await server.request('DELETE', path(`/${res.body.data.id}`), { token });
      assert.equal(removed.status, 204);
      assert.equal((await server.request('GET', `/members/verify/${mailed}`)).status, 404);
      assert.equal((await server.request('GET', path(`/${res.body.data.id}`), { token })).status, 404);

      const bob = await createUser(server);
      const bobId = await addMember(server, org, bob, 'organization-member');
      const team = await server.request('POST', `/organizations/${org.canonical}/teams`, {
        token,
        body: { name: 'Leavers team', roles_canonical: ['organization-member'] },
      });
      assert.equal(team.status, 200, team.text);
      const teamPath = `/organizations/${org.canonical}/teams/${team.body.data.canonical}/members`;
      assert.equal((await server.request('POST', teamPath, { token, body: { username: bob.username } })).status, 200);
      assert.equal((await server.request('DELETE', path(`/${bobId}`), { token })).status, 204);
      const left = await server.request('GET', teamPath, { token });
      assert.equal(left.body.pagination.total, 0);
      assert.ok((await events(server, org)).some((e) => e.title === 'organization:member:delete'));
    });

    describe('acceptInvitation (service, straight against the database)', () => {
      const accept = (input: { token: string; userId: number; email: string }) =>
        acceptInvitation(server.database.db, input);

      it('joins the user with the invited role and records an event', async () => {
        const res = await invite('joiner@example.com', 'default-project-viewer');
        const [mailed] = mailedTokens(server, 'joiner@example.com');
        const joiner = await createUser(server, { email: 'joiner@example.com' });
        const outcome = await accept({ token: mailed, userId: joiner.id, email: joiner.email });
        assert.deepEqual(outcome, { organizationId: org.id });

        const shown = await server.request('GET', path(`/${res.body.data.id}`), { token });
        assert.equal(shown.body.data.invitation_state, 'accepted');
        assert.equal(shown.body.data.username, joiner.username);
        assert.equal(shown.body.data.role.canonical, 'default-project-viewer');
        assert.equal(shown.body.data.invited_at, undefined);
        assert.equal(shown.body.data.invited_by.username, admin.username);
        const event = (await events(server, org)).find((e) => e.title === 'organization:member:accept');
        assert.ok(event);
        assert.ok(event.tags.includes(joiner.username));
        // The joiner now has standing in the organization.
        const teams = await server.request('GET', `/organizations/${org.canonical}/teams`, {
          token: sessionToken(server, joiner),
        });
        assert.equal(teams.status, 200);

        await assert.rejects(accept({ token: mailed, userId: joiner.id, email: joiner.email }), {
          code: 'Conflict',
        });
        assert.equal((await server.request('GET', `/members/verify/${mailed}`)).status, 404);
      });

      it('refuses unknown, replaced and expired tokens, and users already members', async () => {
        const user = await createUser(server);
        await assert.rejects(accept({ token: 'unknown-token', userId: user.id, email: user.email }), {
          code: 'NotFound',
        });

        const res = await invite('late@example.com');
        const [first] = mailedTokens(server, 'late@example.com');
        await server.request('PUT', path(`/${res.body.data.id}/resend`), { token });
        const [, second] = mailedTokens(server, 'late@example.com');
        await assert.rejects(accept({ token: first, userId: user.id, email: user.email }), { code: 'NotFound' });

        await server.database.db
          .updateTable('memberships')
          .set({ invitation_expires_at: nowSeconds() - 1 })
          .where('id', '=', res.body.data.id)
          .execute();
        await assert.rejects(accept({ token: second, userId: user.id, email: user.email }), {
          code: 'Unprocessable',
          message: /expired/,
        });
        assert.equal((await server.request('GET', `/members/verify/${second}`)).status, 404);

        const again = await invite('already@example.com');
        const [third] = mailedTokens(server, 'already@example.com');
        await assert.rejects(accept({ token: third, userId: admin.id, email: admin.email }), {
          code: 'Conflict',
          message: /already a member/,
        });
        const still = await server.request('GET', path(`/${again.body.data.id}`), { token });
        assert.equal(still.body.data.invitation_state, 'pending');
      });
    });
  });
}
