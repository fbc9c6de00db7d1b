import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { needsRehash, verifyPassword } from '../../src/platform/crypto/hashing.js';
import { createOrg, createUser } from '../helpers/factories.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** A hash as earlier versions stored it (scrypt N=2^15). */
function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', 32768, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

describe('password hashes follow the current parameters', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite');
  });
  after(() => server.close());

  it("a login with an older hash succeeds and rewrites it with OWASP's minimum (N=2^17)", async () => {
    const user = await createUser(server);
    const org = await createOrg(server, user);
    const stored = oldHash(user.password);
    assert.equal(needsRehash(stored), true);
    await server.database.db.updateTable('users').set({ password_hash: stored }).where('id', '=', user.id).execute();
    const login = await server.request('POST', '/user/login', {
      body: { email: user.email, password: user.password, organization_canonical: org.canonical },
    });
    assert.equal(login.status, 200, login.text);
    const row = await server.database.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$131072\$8\$1\$/);
    assert.equal(needsRehash(row.password_hash), false);
    assert.equal(await verifyPassword(user.password, row.password_hash), true);
  });
});
