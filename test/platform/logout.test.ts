import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pruneRevokedSessions } from '../../src/modules/users/logout.js';
import { createUser, sessionToken, tenant } from '../helpers/factories.js';
import { startReplicas, startServer, type TestServer, testEngines } from '../helpers/server.js';

/** Polls until `check` holds; cross-replica invalidation arrives over the database within milliseconds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never happened: ${what}`);
}

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());

describe('logout (POST /user/logout) revokes the session', () => {
  for (const engine of testEngines()) {
    describe(engine, () => {
      let server: TestServer;
      before(async () => {
        server = await startServer(engine, { env: { GANTRY_JWT_SECRET: 'a-shared-test-secret-of-32-characters!!' } });
      });
      after(() => server.close());

      it('the token stops working on the very next request, though it was cached', async () => {
        const user = await createUser(server);
        const token = sessionToken(server, user);
        const other = sessionToken(server, user);
        assert.equal((await server.request('GET', '/user', { token })).status, 200, 'the token is now cached');
        const out = await server.request('POST', '/user/logout', { token });
        assert.equal(out.status, 204, out.text);
        assert.equal((await server.request('GET', '/user', { token })).status, 401);
        assert.equal((await server.request('POST', '/user/logout', { token })).status, 401);
        // Another login of the same user is another session.
        assert.equal((await server.request('GET', '/user', { token: other })).status, 200);
      });

      it('ends every token refreshed from the same login, before or after the refresh', async () => {
        const user = await createUser(server);
        const token = sessionToken(server, user);
        const refreshed = await server.request('GET', '/user/refresh_token', { token });
        assert.equal(refreshed.status, 200, refreshed.text);
        const next = refreshed.body.data.token as string;
        assert.equal(claims(next).sid, claims(token).sid, 'a refresh continues the session');
        assert.notEqual(claims(next).jti, claims(token).jti);
        assert.equal((await server.request('POST', '/user/logout', { token: next })).status, 204);
        assert.equal((await server.request('GET', '/user', { token })).status, 401);
        assert.equal((await server.request('GET', '/user', { token: next })).status, 401);
        assert.equal((await server.request('GET', '/user/refresh_token', { token })).status, 401);
      });

      it('with all: true, every session of the user ends, and only theirs', async () => {
        const { user, org, token } = await tenant(server);
        const elsewhere = sessionToken(server, user, org);
        const bystander = sessionToken(server, await createUser(server));
        const out = await server.request('POST', '/user/logout', { token, body: { all: true } });
        assert.equal(out.status, 204, out.text);
        assert.equal((await server.request('GET', '/user', { token })).status, 401);
        assert.equal(
          (await server.request('GET', `/organizations/${org.canonical}`, { token: elsewhere })).status,
          401,
        );
        assert.equal((await server.request('GET', '/user', { token: bystander })).status, 200);
      });

      it('refuses bad input, API keys and anonymous calls, changing nothing', async () => {
        const { org, token } = await tenant(server);
        const bad = await server.request('POST', '/user/logout', { token, body: { all: 'yes' } });
        assert.equal(bad.status, 400);
        assert.match(bad.body.errors[0].message, /body\.all/);
        const unknown = await server.request('POST', '/user/logout', { token, body: { everything: true } });
        assert.equal(unknown.status, 400);
        assert.match(unknown.body.errors[0].message, /everything/);
        assert.equal((await server.request('GET', '/user', { token })).status, 200, 'still logged in');
        assert.equal((await server.request('POST', '/user/logout')).status, 401);
        const key = await server.request('POST', `/organizations/${org.canonical}/api_keys`, {
          token,
          body: { name: 'logout key', rules: [{ action: 'organization:**', effect: 'allow' }] },
        });
        assert.equal(key.status, 200, key.text);
        assert.equal((await server.request('POST', '/user/logout', { token: key.body.data.token })).status, 403);
      });

      it('keeps a revocation until the session would have ended anyway, then prunes it', async () => {
        const user = await createUser(server);
        const token = sessionToken(server, user);
        assert.equal((await server.request('POST', '/user/logout', { token })).status, 204);
        const row = await server.database.db
          .selectFrom('revoked_sessions')
          .selectAll()
          .where('session_id', '=', claims(token).sid)
          .executeTakeFirstOrThrow();
        const now = Math.floor(Date.now() / 1000);
        assert.ok(Number(row.expires_at) >= now + server.config.sessionMaxAgeSeconds - 5);
        assert.equal(await pruneRevokedSessions(server.database.db, now), 0, 'nothing expired yet');
        assert.ok((await pruneRevokedSessions(server.database.db, Number(row.expires_at) + 1)) >= 1);
        const left = await server.database.db
          .selectFrom('revoked_sessions')
          .select('session_id')
          .where('session_id', '=', claims(token).sid)
          .execute();
        assert.deepEqual(left, []);
      });
    });
  }

  if (testEngines().includes('postgres')) {
    describe('across replicas (postgres)', () => {
      let first: TestServer;
      let second: TestServer;
      let close: () => Promise<void>;
      before(async () => {
        ({ first, second, close } = await startReplicas());
      });
      after(() => close());

      it('a logout on one replica ends the session on the other', async () => {
        const user = await createUser(first);
        const token = sessionToken(first, user);
        await eventually(
          async () => (await second.request('GET', '/user', { token })).status === 200,
          'the second replica serves (and caches) the token',
        );
        assert.equal((await first.request('POST', '/user/logout', { token })).status, 204);
        await eventually(
          async () => (await second.request('GET', '/user', { token })).status === 401,
          'the second replica refuses the token',
        );
      });
    });
  }
});
