import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueSessionToken } from '../../src/modules/users/sessions.js';
import { JwtSigner } from '../../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../../src/platform/crypto/keys.js';
import { createUser, type TestUser } from '../helpers/factories.js';
import { startServer, type TestServer } from '../helpers/server.js';

const MAX_AGE = 600;

describe('sessions have an absolute lifetime (GANTRY_SESSION_MAX_AGE)', () => {
  let server: TestServer;
  let user: TestUser;
  let signer: JwtSigner;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

  before(async () => {
    server = await startServer('sqlite', { env: { GANTRY_SESSION_MAX_AGE: String(MAX_AGE) } });
    user = await createUser(server);
    signer = new JwtSigner(loadSigningKey(server.config.dataDir, server.config.jwtSecret));
  });
  after(() => server.close());

  it('a refresh keeps the login time and never reaches past the maximum age', async () => {
    const loggedIn = now() - 100;
    const token = issueSessionToken(signer, 3600, user, undefined, loggedIn);
    const refreshed = await server.request('GET', '/user/refresh_token', { token });
    assert.equal(refreshed.status, 200, refreshed.text);
    const next = claims(refreshed.body.data.token);
    assert.equal(next.auth_time, loggedIn, 'the login time is carried, not renewed');
    assert.ok(next.exp <= loggedIn + MAX_AGE, `expires ${next.exp - (loggedIn + MAX_AGE)} s too late`);
  });

  it('a session older than the maximum age is refused, however fresh its token', async () => {
    const token = issueSessionToken(signer, 3600, user, undefined, now() - MAX_AGE - 1);
    assert.equal((await server.request('GET', '/user', { token })).status, 401);
    assert.equal((await server.request('GET', '/user/refresh_token', { token })).status, 401);
  });

  it('a session close to its maximum age is not refreshed: log in again', async () => {
    const token = issueSessionToken(signer, 3600, user, undefined, now() - MAX_AGE + 30);
    const res = await server.request('GET', '/user/refresh_token', { token });
    assert.equal(res.status, 401);
    assert.match(res.body.errors[0].message, /maximum age/);
  });
});
