import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { credentialByCanonical, credentialById, credentialByPath } from '../src/modules/credentials/lookup.js';
import { registerCredentialUsers } from '../src/platform/credential-users.js';
import { loadMasterKey, Vault } from '../src/platform/crypto/sealing.js';
import { AppError } from '../src/platform/errors.js';
import { opensshKey } from './helpers/credential-samples.js';
import { type TestOrg, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

/**
 * Credentials for the server's own use (the credentials module's lookup.ts) and the registry of their
 * users: credentials are created over HTTP, read back the way server code reads them, and a kind of
 * user declared outside the credentials module shows in `in_use` and blocks the delete.
 */

const SSH_KEY = opensshKey();

/** A kind of user the credentials module does not know, declared as a module would (a test-only kind). */
const pinnedIds = new Set<number>();
registerCredentialUsers([
  {
    kind: 'stand-in repository',
    group: 'config_repositories',
    find: async (_db, ids) =>
      ids
        .filter((id) => pinnedIds.has(id))
        .map((id) => ({
          credentialId: id,
          label: `stand-in repository 'infra-config'`,
          entry: { canonical: 'infra-config', name: 'Infra config' },
        })),
  },
]);

async function rejects(promise: Promise<unknown>, status: number, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.status, status);
    assert.match(error.message, pattern);
    return true;
  });
}

for (const engine of testEngines()) {
  describe(`credential lookups and users (${engine})`, () => {
    let server: TestServer;
    let vault: Vault;
    let org: TestOrg;
    let token: string;
    let other: Awaited<ReturnType<typeof tenant>>;
    const create = (as: string, orgCanonical: string, body: Record<string, unknown>) =>
      server.request('POST', `/organizations/${orgCanonical}/credentials`, { token: as, body });

    before(async () => {
      server = await startServer(engine);
      vault = await Vault.open(server.database.db, loadMasterKey(server.config.dataDir, server.config.masterKey));
      ({ org, token } = await tenant(server));
      other = await tenant(server);
      const made = [
        await create(token, org.canonical, {
          name: 'Deploy key',
          canonical: 'deploy-key',
          type: 'ssh',
          path: 'git/deploy',
          raw: { ssh_key: SSH_KEY },
        }),
        await create(token, org.canonical, {
          name: 'Registry',
          canonical: 'registry',
          type: 'basic_auth',
          path: 'registry',
          raw: { username: 'robot', password: 's3cret-value' },
        }),
        await create(other.token, other.org.canonical, {
          name: 'Theirs',
          canonical: 'theirs',
          type: 'basic_auth',
          path: 'theirs',
          raw: { username: 'them', password: 'not-yours' },
        }),
      ];
      for (const res of made) assert.equal(res.status, 200, res.text);
    });
    after(() => server.close());

    it('finds by canonical and by path with the decrypted values, for server code only', async () => {
      const db = server.database.db;
      const byCanonical = await credentialByCanonical(db, vault, org.id, 'registry', { types: ['basic_auth'] });
      assert.deepEqual(byCanonical.fields, { username: 'robot', password: 's3cret-value' });
      assert.equal(byCanonical.path, 'registry');
      const byPath = await credentialByPath(db, vault, org.id, 'git/deploy', { types: ['ssh', 'basic_auth'] });
      assert.equal(byPath.canonical, 'deploy-key');
      assert.equal(byPath.fields.ssh_key, SSH_KEY);
      assert.equal((await credentialById(db, vault, org.id, byPath.id)).canonical, 'deploy-key');
      // Logged or serialized by mistake, it carries no value.
      assert.doesNotMatch(JSON.stringify(byCanonical), /s3cret|robot/);
      assert.doesNotMatch(inspect(byCanonical, { showHidden: false }), /s3cret/);
      assert.deepEqual(Object.keys(byCanonical).sort(), ['canonical', 'id', 'path', 'type']);
    });

    it('a wrong type is a 422 naming both types; a missing one names the field; another tenant has none', async () => {
      const db = server.database.db;
      await rejects(
        credentialByCanonical(db, vault, org.id, 'registry', { types: ['ssh'], field: 'credential_canonical' }),
        422,
        /^credential_canonical: credential 'registry' is of type 'basic_auth'; 'ssh' is needed here$/,
      );
      await rejects(
        credentialByPath(db, vault, org.id, 'git/deploy', { types: ['aws', 'gcp'] }),
        422,
        /type 'ssh'; 'aws' or 'gcp' is needed/,
      );
      await rejects(
        credentialByCanonical(db, vault, org.id, 'nope', { field: 'credential_canonical' }),
        422,
        /^credential_canonical: no credential 'nope'$/,
      );
      await rejects(credentialByPath(db, vault, org.id, 'theirs'), 404, /with path 'theirs'/);
      await rejects(credentialByCanonical(db, vault, org.id, 'theirs'), 404, /'theirs'/);
    });

    it('in_use and the delete refusal come from the registry of users, whatever module declares them', async () => {
      // Ids repeat across engines' databases: only this server's credential is used.
      pinnedIds.clear();
      const path = `/organizations/${org.canonical}/credentials/deploy-key`;
      const before = await server.request('GET', path, { token });
      assert.deepEqual(before.body.data.in_use, {
        config_repositories: [],
        external_backends: [],
        service_catalog_sources: [],
      });
      pinnedIds.add(before.body.data.id);
      const read = await server.request('GET', path, { token });
      assert.deepEqual(read.body.data.in_use.config_repositories, [
        { canonical: 'infra-config', name: 'Infra config' },
      ]);
      const listed = await server.request('GET', `/organizations/${org.canonical}/credentials`, { token });
      const item = listed.body.data.find((c: { canonical: string }) => c.canonical === 'deploy-key');
      assert.equal(item.in_use.config_repositories.length, 1);

      const refused = await server.request('DELETE', path, { token });
      assert.equal(refused.status, 409, refused.text);
      assert.match(refused.body.errors[0].message, /in use by 1 stand-in repository;/);
      assert.deepEqual(refused.body.errors[0].details, [`stand-in repository 'infra-config'`]);
      assert.equal((await server.request('GET', path, { token })).status, 200);

      assert.equal((await server.request('DELETE', `${path}?force=true`, { token })).status, 204);
      assert.equal((await server.request('GET', path, { token })).status, 404);
    });
  });
}
