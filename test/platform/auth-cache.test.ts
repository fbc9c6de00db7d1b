import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addMember, createUser, sessionToken, tenant } from '../helpers/factories.js';
import { startReplicas, startServer, type TestServer, testEngines } from '../helpers/server.js';

/** Polls until `check` holds; cross-replica invalidation arrives over the database within milliseconds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never happened: ${what}`);
}

describe('the auth cache never outlives a change', () => {
  for (const engine of testEngines()) {
    describe(engine, () => {
      let server: TestServer;
      before(async () => {
        server = await startServer(engine, { env: { GANTRY_JWT_SECRET: 'a-shared-test-secret-of-32-characters!!' } });
      });
      after(() => server.close());

      it('a role change through the API applies to the very next request', async () => {
        const { org, token: adminToken } = await tenant(server);
        const member = await createUser(server);
        const memberId = await addMember(server, org, member, 'organization-admin');
        const token = sessionToken(server, member);
        const teams = `/organizations/${org.canonical}/teams`;
        const body = { name: 'Cache probe', roles_canonical: ['organization-member'] };
        assert.equal((await server.request('GET', teams, { token })).status, 200, 'access is now cached');
        const demote = await server.request('PUT', `/organizations/${org.canonical}/members/${memberId}`, {
          token: adminToken,
          body: { role_canonical: 'organization-member' },
        });
        assert.equal(demote.status, 200, demote.text);
        assert.equal((await server.request('POST', teams, { token, body })).status, 403);
      });

      it('a revoked API key fails on the very next request, though keys are served from the cache', async () => {
        const { org, token: adminToken } = await tenant(server);
        const keys = `/organizations/${org.canonical}/api_keys`;
        const created = await server.request('POST', keys, {
          token: adminToken,
          body: { name: 'cached key', rules: [{ action: 'organization:**', effect: 'allow' }] },
        });
        const key = created.body.data.token;
        const teams = `/organizations/${org.canonical}/teams`;
        assert.equal((await server.request('GET', teams, { token: key })).status, 200);
        // A write that changes no access keeps the cache warm; the key keeps working.
        const team = await server.request('POST', teams, {
          token: adminToken,
          body: { name: 'Warm cache', roles_canonical: ['organization-member'] },
        });
        assert.equal(team.status, 200, team.text);
        assert.equal((await server.request('GET', teams, { token: key })).status, 200);
        const revoked = await server.request('DELETE', `${keys}/cached-key`, { token: adminToken });
        assert.equal(revoked.status, 204, revoked.text);
        assert.equal((await server.request('GET', teams, { token: key })).status, 401);
      });
    });
  }

  const [, postgres] = testEngines();
  if (postgres) {
    describe('across replicas (postgres)', () => {
      let first: TestServer;
      let second: TestServer;
      let close: () => Promise<void>;
      before(async () => {
        ({ first, second, close } = await startReplicas());
      });
      after(() => close());

      it('a member removed on one replica loses access on the other', async () => {
        const { org, token: adminToken } = await tenant(first);
        const member = await createUser(first);
        const memberId = await addMember(first, org, member, 'organization-member');
        const token = sessionToken(first, member);
        const path = `/organizations/${org.canonical}/teams`;
        // Warm the second replica's cache (it may need a moment to open its notification channel).
        await eventually(
          async () => (await second.request('GET', path, { token })).status === 200,
          'second replica serves',
        );
        await second.request('GET', path, { token });
        const removed = await first.request('DELETE', `/organizations/${org.canonical}/members/${memberId}`, {
          token: adminToken,
        });
        assert.equal(removed.status, 204, removed.text);
        await eventually(async () => (await second.request('GET', path, { token })).status === 404, 'access revoked');
      });

      it('an API key revoked on one replica fails on the other', async () => {
        const { org, token: adminToken } = await tenant(first);
        const keys = `/organizations/${org.canonical}/api_keys`;
        const created = await first.request('POST', keys, {
          token: adminToken,
          body: { name: 'replica key', rules: [{ action: 'organization:**', effect: 'allow' }] },
        });
        const key = created.body.data.token;
        const path = `/organizations/${org.canonical}/teams`;
        await eventually(async () => (await second.request('GET', path, { token: key })).status === 200, 'key works');
        await second.request('GET', path, { token: key });
        const revoked = await first.request('DELETE', `${keys}/replica-key`, { token: adminToken });
        assert.equal(revoked.status, 204, revoked.text);
        const start = Date.now();
        await eventually(async () => (await second.request('GET', path, { token: key })).status === 401, 'key refused');
        assert.ok(Date.now() - start < 1000, `refused after ${Date.now() - start} ms`);
      });
    });
  }
});
