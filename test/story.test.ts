import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mailedToken } from './helpers/outbox.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

/**
 * The whole identity story over HTTP only, as a new team would live it: sign-up, verification,
 * login, an organization, an invitation accepted at sign-up, a custom role, a team, an API key.
 */
for (const engine of testEngines()) {
  describe(`identity and access story (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());

    it('sign-up -> verify -> login -> org -> invite -> accept -> role -> team -> API key', async () => {
      const alice = { username: 'alice', email: 'Alice@Example.com', password: 'violet-harbour-42' };
      const signUp = await server.request('POST', '/user', {
        body: { ...alice, given_name: 'Alice', family_name: 'Liddell' },
      });
      assert.equal(signUp.status, 204, signUp.text);

      const early = await server.request('POST', '/user/login', {
        body: { email: alice.email, password: alice.password },
      });
      assert.equal(early.status, 403, 'an unverified address cannot log in yet');

      const verification = await mailedToken(server, 'alice@example.com', /Verification token/);
      assert.equal((await server.request('PUT', `/user/email/verification/${verification}`)).status, 204);
      assert.equal(
        (await server.request('PUT', `/user/email/verification/${verification}`)).status >= 400,
        true,
        'single use',
      );

      const login = await server.request('POST', '/user/login', {
        body: { username: 'alice', password: alice.password },
      });
      assert.equal(login.status, 200, login.text);
      const aliceToken: string = login.body.data.token;

      const org = await server.request('POST', '/organizations', {
        token: aliceToken,
        body: { name: 'Acme Platform' },
      });
      assert.equal(org.status, 200, org.text);
      assert.equal(org.body.data.canonical, 'acme-platform');
      const base = '/organizations/acme-platform';

      const invite = await server.request('POST', `${base}/members`, {
        token: aliceToken,
        body: { email: 'bob@example.com', role_canonical: 'organization-member' },
      });
      assert.equal(invite.status, 200, invite.text);
      assert.equal(invite.body.data.invitation_state, 'pending');
      const invitation = await mailedToken(server, 'bob@example.com', /Your invitation token/);
      const pending = await server.request('GET', `/members/verify/${invitation}`);
      assert.deepEqual(pending.body, { data: { email: 'bob@example.com' } });

      const bobSignUp = await server.request('POST', '/user', {
        body: {
          username: 'bob',
          email: 'bob@example.com',
          password: 'granite-meadow-77',
          given_name: 'Bob',
          family_name: 'Builder',
          invitation_token: invitation,
        },
      });
      assert.equal(bobSignUp.status, 204, bobSignUp.text);
      const bobLogin = await server.request('POST', '/user/login', {
        body: { email: 'bob@example.com', password: 'granite-meadow-77', organization_canonical: 'acme-platform' },
      });
      assert.equal(bobLogin.status, 200, bobLogin.text);
      const bobToken: string = bobLogin.body.data.token;
      assert.ok('organization:team:read' in bobLogin.body.data.permissions);

      const members = await server.request('GET', `${base}/members`, { token: aliceToken });
      const bob = members.body.data.find((m: any) => m.username === 'bob');
      assert.equal(bob.invitation_state, 'accepted');

      // Bob's read-only role cannot create teams; a custom role given through a team changes that.
      const denied = await server.request('POST', `${base}/teams`, {
        token: bobToken,
        body: { name: 'Bob team', roles_canonical: ['organization-member'] },
      });
      assert.equal(denied.status, 403);

      const role = await server.request('POST', `${base}/roles`, {
        token: aliceToken,
        body: {
          name: 'Team creators',
          description: 'May create and manage teams',
          rules: [{ action: 'organization:team:*', effect: 'allow', resources: [] }],
        },
      });
      assert.equal(role.status, 200, role.text);
      const team = await server.request('POST', `${base}/teams`, {
        token: aliceToken,
        body: { name: 'Platform', roles_canonical: [role.body.data.canonical] },
      });
      assert.equal(team.status, 200, team.text);
      const assign = await server.request('POST', `${base}/teams/platform/members`, {
        token: aliceToken,
        body: { username: 'bob' },
      });
      assert.equal(assign.status, 200, assign.text);

      const canDo = await server.request('POST', `${base}/can_do`, {
        token: bobToken,
        body: { action: 'organization:team:create', entity_canonicals: [] },
      });
      assert.equal(canDo.body.data.ok, true);
      const allowed = await server.request('POST', `${base}/teams`, {
        token: bobToken,
        body: { name: 'Bob team', roles_canonical: ['organization-member'] },
      });
      assert.equal(allowed.status, 200, allowed.text);

      const key = await server.request('POST', `${base}/api_keys`, {
        token: aliceToken,
        body: { name: 'CI reader', rules: [{ action: 'organization:team:read', effect: 'allow', resources: [] }] },
      });
      assert.equal(key.status, 200, key.text);
      const secret: string = key.body.data.token;
      assert.equal(secret.slice(-7), key.body.data.last_seven);
      const viaKey = await server.request('GET', `${base}/teams/platform`, { headers: { 'x-api-key': secret } });
      assert.equal(viaKey.status, 200, viaKey.text);
      assert.equal(viaKey.body.data.member_count, 1);
      const keyCannotWrite = await server.request('DELETE', `${base}/teams/platform`, {
        headers: { 'x-api-key': secret },
      });
      assert.equal(keyCannotWrite.status, 403);
      const later = await server.request('GET', `${base}/api_keys/${key.body.data.canonical}`, { token: aliceToken });
      assert.equal(later.body.data.token, undefined, 'the secret is shown once');

      assert.equal(
        (await server.request('DELETE', `${base}/api_keys/${key.body.data.canonical}`, { token: aliceToken })).status,
        204,
      );
      assert.equal(
        (await server.request('GET', `${base}/teams/platform`, { headers: { 'x-api-key': secret } })).status,
        401,
      );

      const events = await server.request('GET', `${base}/events`, { token: aliceToken });
      const actions = events.body.data.map((e: any) => e.tags.find((t: any) => t.key === 'action')?.value);
      for (const action of [
        'organization:create',
        'organization:member:create',
        'organization:role:create',
        'organization:team:create',
        'organization:api_key:delete',
      ]) {
        assert.ok(actions.includes(action), `event ${action} recorded`);
      }
    });
  });
}
