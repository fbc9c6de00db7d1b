import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditTrail, customRole } from './helpers/api-keys.js';
import { CREDENTIAL_TYPES, opensshKey, pemKey, sampleRaw, TEST_CA_CERT } from './helpers/credential-samples.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

for (const engine of testEngines()) {
  describe(`credentials (${engine})`, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { user: TestUser; org: TestOrg; token: string };
    const path = (suffix = '') => `/organizations/${org.canonical}/credentials${suffix}`;
    const create = (body: Record<string, unknown>, as = token) => server.request('POST', path(), { token: as, body });
    const count = async () =>
      Number(
        (
          await server.database.db
            .selectFrom('credentials')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('organization_id', '=', org.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const withRole = async (canonical: string, rules: { action: string; resources: string[] }[]) => {
      await customRole(server, org, canonical, rules);
      const user = await createUser(server);
      await addMember(server, org, user, canonical);
      return sessionToken(server, user);
    };

    before(async () => {
      server = await startServer(engine);
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
    });
    after(() => server.close());

    it('every organization has the built-in vault: listed, readable, never changed or deleted (409)', async () => {
      const fresh = await tenant(server);
      const vaultPath = `/organizations/${fresh.org.canonical}/credentials/vault`;
      const list = await server.request('GET', `/organizations/${fresh.org.canonical}/credentials`, {
        token: fresh.token,
      });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        list.body.data.map((c: any) => [c.canonical, c.type, c.path]),
        [['vault', 'custom', 'vault']],
      );
      const read = await server.request('GET', vaultPath, { token: fresh.token });
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(read.body.data.keys, ['engine', 'sealing']);
      assert.deepEqual(read.body.data.raw, { raw: { engine: 'gantry', sealing: 'aes-256-gcm' } });
      const member = await createUser(server);
      await addMember(server, fresh.org, member, 'organization-member');
      const memberList = await server.request('GET', `/organizations/${fresh.org.canonical}/credentials`, {
        token: sessionToken(server, member),
      });
      assert.deepEqual(
        memberList.body.data.map((c: any) => c.canonical),
        ['vault'],
      );
      const removed = await server.request('DELETE', `${vaultPath}?force=true`, { token: fresh.token });
      assert.equal(removed.status, 409, removed.text);
      assert.match(removed.body.errors[0].message, /built-in/);
      const changed = await server.request('PUT', vaultPath, {
        token: fresh.token,
        body: { name: 'Mine', canonical: 'vault', type: 'custom', path: 'vault', raw: { raw: { a: 'b' } } },
      });
      assert.equal(changed.status, 409, changed.text);
      assert.equal((await server.request('GET', vaultPath, { token: fresh.token })).body.data.name, 'Vault');
      // The canonical and path are taken: a credential of the user's own cannot claim them.
      const clash = await server.request('POST', `/organizations/${fresh.org.canonical}/credentials`, {
        token: fresh.token,
        body: { name: 'vault', type: 'custom', path: 'vault', raw: { raw: { a: 'b' } } },
      });
      assert.equal(clash.status, 409, clash.text);
    });

    it('creates every type of the contract, answering raw and keys; getCredential opens the value', async () => {
      for (const type of CREDENTIAL_TYPES) {
        const raw = sampleRaw(type);
        const res = await create({
          name: `All ${type}`,
          type,
          path: `${type}_All-${type}`,
          raw,
          description: `a ${type}`,
        });
        assert.equal(res.status, 200, `${type}: ${res.text}`);
        const c = res.body.data;
        assert.equal(c.type, type);
        assert.equal(c.canonical, `all-${type}`);
        assert.equal(c.path, `${type}_All-${type}`);
        assert.equal(c.owner.username, admin.username);
        assert.deepEqual(c.raw, raw);
        assert.deepEqual(c.keys, Object.keys(type === 'custom' ? (raw.raw as object) : raw).sort());
        assert.deepEqual(c.in_use, { config_repositories: [], service_catalog_sources: [], external_backends: [] });
        const read = await server.request('GET', path(`/${c.canonical}`), { token });
        assert.equal(read.status, 200, read.text);
        assert.deepEqual(read.body.data.raw, raw);
        assert.equal(read.body.data.description, `a ${type}`);
      }
    });

    it('accepts PEM keys and refuses public, passphrase-protected, damaged and foreign SSH keys', async () => {
      assert.equal(
        (await create({ name: 'pem', type: 'ssh', path: 'ssh/pem', raw: { ssh_key: pemKey() } })).status,
        200,
      );
      const before = await count();
      const good = opensshKey();
      const lines = good.split('\n');
      const damaged = [lines[0], lines[1]!.replace(/^.{40}/, 'A'.repeat(40)), ...lines.slice(2)].join('\n');
      for (const [ssh_key, reason] of [
        ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEU3 test', /public key/],
        [opensshKey('aes256-ctr'), /passphrase/],
        ['-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all\n-----END RSA PRIVATE KEY-----', /not a readable PEM/],
        [damaged, /OpenSSH/],
        ['hello', /not an SSH private key/],
      ] as const) {
        const res = await create({ name: 'bad ssh', type: 'ssh', path: 'p', raw: { ssh_key } });
        assert.equal(res.status, 422, res.text);
        assert.match(res.body.errors[0].message, /^raw\.ssh_key: /);
        assert.match(res.body.errors[0].message, reason);
        assert.doesNotMatch(res.text, /PRIVATE KEY|AAAAC3/);
      }
      assert.equal(await count(), before);
    });

    it('refuses missing, foreign and malformed raw fields, naming fields and never values (nothing written)', async () => {
      const before = await count();
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ type: 'aws', raw: { access_key: 'AKIA' } }, /aws credentials need 'secret_key'/],
        [
          { type: 'aws', raw: { access_key: 'AKIA', secret_key: 'topsecret-1', password: 'x' } },
          /'password' is not a field of aws/,
        ],
        [{ type: 'basic_auth', raw: { username: 'u', password: '' } }, /need 'password'/],
        [{ type: 'gcp', raw: { json_key: '{"type":"service_account"' } }, /^raw\.json_key: /],
        [{ type: 'gcp', raw: { json_key: '{"type":"authorized_user"}' } }, /^raw\.json_key: /],
        [{ type: 'elasticsearch', raw: { username: 'u' } }, /username and password go together/],
        [{ type: 'elasticsearch', raw: {} }, /give ca_cert/],
        [{ type: 'elasticsearch', raw: { ca_cert: 'not a cert' } }, /not a PEM certificate/],
        [{ type: 'custom', raw: {} }, /raw\.raw/],
        [{ type: 'custom', raw: { raw: {} } }, /at least one field/],
        [{ type: 'custom', raw: { raw: { 'bad key!': 'v' } } }, /field names/],
        [{ type: 'custom', raw: { raw: { k: 1 } } }, /values must be strings/],
        [{ type: 'custom', raw: { password: 'topsecret-1' } }, /under raw\.raw/],
        [
          {
            type: 'swift',
            raw: { auth_url: 'keystone', username: 'u', password: 'topsecret-1', domain_id: 'd', tenant_id: 't' },
          },
          /auth_url/,
        ],
      ];
      for (const [body, message] of cases) {
        const res = await create({ name: 'bad', path: 'p', ...body });
        assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.body.errors[0].message, message);
        assert.doesNotMatch(res.text, /topsecret-1/);
      }
      // Schema-level mistakes are 400s.
      assert.equal((await create({ name: 'x', type: 'kerberos', path: 'p', raw: {} })).status, 400);
      assert.equal((await create({ name: 'x', type: 'aws', path: 'p', raw: { secret_key: 5 } })).status, 400);
      assert.equal((await create({ name: 'x', type: 'aws', path: 'p' })).status, 400);
      assert.equal(
        (await create({ name: 'x', type: 'vmware', path: '', raw: { username: 'u', password: 'p' } })).status,
        400,
      );
      for (const bad of ['has space', '../up', '/lead', 'trail/', 'a//b', 'x'.repeat(256)]) {
        const res = await create({ name: 'x', type: 'vmware', path: bad, raw: { username: 'u', password: 'p' } });
        assert.equal(res.status, 422, `${bad}: ${res.text}`);
        assert.match(res.body.errors[0].message, /^path: /);
      }
      assert.equal(await count(), before);
    });

    it('path and canonical are unique per organization (409), not across organizations', async () => {
      const body = {
        name: 'Deploy key',
        type: 'basic_auth',
        path: 'git/deploy',
        raw: { username: 'u', password: 'p' },
      };
      assert.equal((await create(body)).status, 200);
      const before = await count();
      const samePath = await create({ ...body, name: 'Other name' });
      assert.equal(samePath.status, 409);
      assert.match(samePath.body.errors[0].message, /^path: .*git\/deploy/);
      const sameCanonical = await create({ ...body, path: 'git/deploy-2' });
      assert.equal(sameCanonical.status, 409);
      assert.match(sameCanonical.body.errors[0].message, /^canonical: /);
      assert.equal(await count(), before);
      const elsewhere = await server.request('POST', `/organizations/${other.org.canonical}/credentials`, {
        token: other.token,
        body,
      });
      assert.equal(elsewhere.status, 200, elsewhere.text);
    });

    it('updateCredential replaces every field, raw included, and keeps canonical and path unique', async () => {
      const first = await create({
        name: 'Rotating',
        type: 'aws',
        path: 'aws/rotating',
        raw: sampleRaw('aws', 'old-secret'),
      });
      assert.equal(first.status, 200);
      const res = await server.request('PUT', path('/rotating'), {
        token,
        body: {
          canonical: 'rotating-2',
          name: 'Rotating 2',
          type: 'custom',
          path: 'custom/rotating',
          raw: { raw: { token: 'new-secret' } },
        },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.canonical, 'rotating-2');
      assert.deepEqual(res.body.data.raw, { raw: { token: 'new-secret' } });
      assert.deepEqual(res.body.data.keys, ['token']);
      assert.equal(res.body.data.created_at, first.body.data.created_at);
      assert.equal((await server.request('GET', path('/rotating'), { token })).status, 404);
      // Missing required fields of the type: 422, nothing changed.
      const bad = await server.request('PUT', path('/rotating-2'), {
        token,
        body: { canonical: 'rotating-2', name: 'x', type: 'aws', path: 'p', raw: { access_key: 'A' } },
      });
      assert.equal(bad.status, 422);
      const clash = await server.request('PUT', path('/rotating-2'), {
        token,
        body: {
          canonical: 'rotating-2',
          name: 'x',
          type: 'basic_auth',
          path: 'git/deploy',
          raw: { username: 'u', password: 'p' },
        },
      });
      assert.equal(clash.status, 409);
      const after = await server.request('GET', path('/rotating-2'), { token });
      assert.deepEqual(after.body.data.raw, { raw: { token: 'new-secret' } });
      assert.equal(after.body.data.path, 'custom/rotating');
    });

    it('lists with raw only for callers who may also read; filters by type; pages', async () => {
      const all = await server.request('GET', path('?page_size=1000'), { token });
      assert.equal(all.status, 200);
      assert.ok(all.body.data.length >= 10);
      assert.ok(
        all.body.data.every((c: any) => c.raw !== undefined),
        'the admin lists values',
      );
      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      const memberList = await server.request('GET', path(), { token: sessionToken(server, member) });
      assert.equal(memberList.status, 200);
      assert.equal(memberList.body.pagination.total, all.body.pagination.total);
      assert.ok(memberList.body.data.every((c: any) => c.raw === undefined && Array.isArray(c.keys)));
      assert.equal(
        (await server.request('GET', path('/all-aws'), { token: sessionToken(server, member) })).status,
        403,
      );

      // List everything, read one credential only: raw on that one alone.
      const scoped = await withRole('cred-reader', [
        { action: 'organization:credential:list', resources: [] },
        { action: 'organization:credential:read', resources: [`organization:${org.canonical}:credential:all-aws`] },
      ]);
      const scopedList = await server.request('GET', path('?page_size=1000'), { token: scoped });
      const withRaw = scopedList.body.data.filter((c: any) => c.raw !== undefined).map((c: any) => c.canonical);
      assert.deepEqual(withRaw, ['all-aws']);
      assert.equal((await server.request('GET', path('/all-aws'), { token: scoped })).status, 200);
      assert.equal((await server.request('GET', path('/all-gcp'), { token: scoped })).status, 403);

      // Read on one credential without list: the list holds that one.
      const single = await withRole('one-cred', [
        { action: 'organization:credential:read', resources: [`organization:${org.canonical}:credential:all-vmware`] },
      ]);
      const singleList = await server.request('GET', path(), { token: single });
      assert.deepEqual(
        singleList.body.data.map((c: any) => c.canonical),
        ['all-vmware'],
      );
      assert.ok(singleList.body.data[0].raw);

      const types = await server.request('GET', path('?credential_types=aws&credential_types=gcp'), { token });
      assert.deepEqual([...new Set(types.body.data.map((c: any) => c.type))].sort(), ['aws', 'gcp']);
      // The contract's filter enums forget vmware; it is a credential type all the same.
      const vmware = await server.request('GET', path('?credential_types=vmware&credential_type=vmware'), { token });
      assert.equal(vmware.status, 200, vmware.text);
      assert.deepEqual(
        vmware.body.data.map((c: any) => c.type),
        ['vmware'],
      );
      const legacy = await server.request('GET', path('?credential_type=ssh'), { token });
      assert.ok(legacy.body.data.length >= 2 && legacy.body.data.every((c: any) => c.type === 'ssh'));
      const page = await server.request('GET', path('?page_index=2&page_size=3'), { token });
      assert.equal(page.body.data.length, 3);
      assert.deepEqual(page.body.pagination, { index: 2, size: 3, total: all.body.pagination.total });
      // Creation order.
      assert.deepEqual(
        page.body.data.map((c: any) => c.canonical),
        all.body.data.slice(3, 6).map((c: any) => c.canonical),
      );
    });

    it('records every read of a value before answering, and no event for lists without values', async () => {
      const before = (await auditTrail(server, org.id)).length;
      await server.request('GET', path('/all-basic_auth'), { token });
      const trail = await auditTrail(server, org.id);
      assert.equal(trail.length, before + 1);
      const last = trail[trail.length - 1]!;
      assert.equal(last.title, 'organization:credential:read');
      assert.equal(last.tags.target, 'credential:all-basic_auth');
      assert.equal(last.tags.actor, admin.username);

      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      await server.request('GET', path(), { token: sessionToken(server, member) });
      assert.equal((await auditTrail(server, org.id)).length, before + 1, 'nothing was revealed');
      const vm = await server.request('GET', path('?credential_types=swift'), { token });
      assert.equal(vm.status, 200, vm.text);
      const listed = (await auditTrail(server, org.id)).at(-1)!;
      assert.equal(listed.title, 'organization:credential:read');
      assert.match(listed.tags.target, /all-swift/);
    });

    it('does not return a value when its read cannot be recorded', async () => {
      // Make event writes fail: the read must fail with them, without the value.
      const db = server.database.db;
      const trigger =
        engine === 'sqlite'
          ? [
              `CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'events are read-only'); END`,
            ]
          : [
              `CREATE FUNCTION refuse_events() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'events are read-only'; END $$ LANGUAGE plpgsql`,
              `CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_events()`,
            ];
      const { sql } = await import('kysely');
      for (const statement of trigger) await sql.raw(statement).execute(db);
      try {
        const marker = (await server.request('GET', path('/all-azure'), { token })).text;
        assert.doesNotMatch(marker, /client_secret|secret-/);
        const list = await server.request('GET', path(), { token });
        assert.ok(list.status >= 500, list.text.slice(0, 200));
        assert.doesNotMatch(list.text, /"raw"/);
      } finally {
        await sql.raw(`DROP TRIGGER refuse_events${engine === 'postgres' ? ' ON events' : ''}`).execute(db);
      }
    });

    it('another organization gets 404 and learns nothing', async () => {
      const foreign = await server.request('GET', path('/all-aws'), { token: other.token });
      assert.equal(foreign.status, 404);
      assert.doesNotMatch(foreign.text, /AKIA|all-aws.*raw/);
      const list = await server.request('GET', path(), { token: other.token });
      assert.equal(list.status, 404);
      const del = await server.request('DELETE', path('/all-aws'), { token: other.token });
      assert.equal(del.status, 404);
      assert.equal((await server.request('GET', path('/all-aws'), { token })).status, 200);
    });

    it('deleteCredential removes it and records the event; unknown ones are 404', async () => {
      await create({ name: 'Throwaway', type: 'vmware', path: 'throwaway', raw: { username: 'u', password: 'p' } });
      const res = await server.request('DELETE', path('/throwaway'), { token });
      assert.equal(res.status, 204);
      assert.equal((await server.request('GET', path('/throwaway'), { token })).status, 404);
      assert.equal((await server.request('DELETE', path('/throwaway'), { token })).status, 404);
      assert.equal((await auditTrail(server, org.id)).at(-1)!.title, 'organization:credential:delete');
    });

    it('a ciphertext copied into another row does not open: an error, never the other value', async () => {
      const db = server.database.db;
      const source = await db
        .selectFrom('credentials')
        .select('sealed_raw')
        .where('canonical', '=', 'all-aws')
        .where('organization_id', '=', org.id)
        .executeTakeFirstOrThrow();
      await create({ name: 'Victim', type: 'aws', path: 'victim', raw: sampleRaw('aws', 'victim-secret') });
      await db
        .updateTable('credentials')
        .set({ sealed_raw: source.sealed_raw })
        .where('canonical', '=', 'victim')
        .where('organization_id', '=', org.id)
        .execute();
      const res = await server.request('GET', path('/victim'), { token });
      assert.equal(res.status, 500);
      assert.doesNotMatch(res.text, /AKIA|secret/);
    });

    it("swift credentials can be updated, although the contract's update enum forgets the type", async () => {
      const raw = sampleRaw('swift', 'swift-new-secret');
      const res = await server.request('PUT', path('/all-swift'), {
        token,
        body: { canonical: 'all-swift', name: 'All swift', type: 'swift', path: 'swift_All-swift', raw },
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.raw, raw);
    });

    it('CA certificates are accepted as elasticsearch credentials on their own', async () => {
      const res = await create({ name: 'es ca', type: 'elasticsearch', path: 'es-ca', raw: { ca_cert: TEST_CA_CERT } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.keys, ['ca_cert']);
    });
  });
}
