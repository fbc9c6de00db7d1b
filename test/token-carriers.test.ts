import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { customRole, FULL_ADMIN, makeApiKey } from './helpers/api-keys.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import type { RequestOptions } from './helpers/server.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

/** Every way CONVENTIONS.md lets a client present a token. */
const CARRIERS: Array<{ name: string; send(path: string, token: string): [string, RequestOptions] }> = [
  { name: 'Authorization: Bearer', send: (p, t) => [p, { headers: { authorization: `Bearer ${t}` } }] },
  { name: 'Authorization: Api-Key', send: (p, t) => [p, { headers: { authorization: `Api-Key ${t}` } }] },
  { name: 'X-Api-Key', send: (p, t) => [p, { headers: { 'x-api-key': t } }] },
  { name: '?api_key=', send: (p, t) => [`${p}${p.includes('?') ? '&' : '?'}api_key=${encodeURIComponent(t)}`, {}] },
  {
    name: '?access_token=',
    send: (p, t) => [`${p}${p.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(t)}`, {}],
  },
];

for (const engine of testEngines()) {
  describe(`token carriers, read-only keys and revocation (${engine})`, () => {
    let server: TestServer;
    let a: { user: TestUser; org: TestOrg; token: string };
    let b: { user: TestUser; org: TestOrg; token: string };

    before(async () => {
      server = await startServer(engine);
      a = await tenant(server);
      b = await tenant(server);
    });
    after(() => server.close());

    const orgGets = (org: TestOrg) => [
      `/organizations/${org.canonical}/api_keys`,
      `/organizations/${org.canonical}/events?severity=info`,
    ];

    it('every carrier works with an API key and with a session token', async () => {
      const key = await makeApiKey(server, a.org, a.user, { name: 'carrier key' });
      for (const [kind, token] of [
        ['api key', key.token],
        ['session', a.token],
      ]) {
        for (const carrier of CARRIERS) {
          for (const path of orgGets(a.org)) {
            const [url, options] = carrier.send(path, token);
            const res = await server.request('GET', url, options);
            assert.equal(res.status, 200, `${kind} via ${carrier.name} on ${path}: ${res.text}`);
            assert.ok(Array.isArray(res.body.data));
          }
        }
      }
    });

    it('a missing token is a 401; a token in the query string is not taken for a filter', async () => {
      const res = await server.request('GET', orgGets(a.org)[0]);
      assert.equal(res.status, 401);
      assert.equal(res.body.errors[0].code, 'Unauthorized');
      const key = await makeApiKey(server, a.org, a.user);
      const both = await server.request(
        'GET',
        `/organizations/${a.org.canonical}/api_keys?api_key=${key.token}&page_size=1`,
      );
      assert.equal(both.status, 200);
      assert.equal(both.body.pagination.size, 1);
    });

    it('a read-only key may GET and HEAD, and gets 403 on POST, PUT and DELETE', async () => {
      const key = await makeApiKey(server, a.org, a.user, { name: 'read only', readonly: true, rules: FULL_ADMIN });
      const victim = await makeApiKey(server, a.org, a.user, { name: 'victim key' });
      for (const carrier of CARRIERS) {
        for (const path of orgGets(a.org)) {
          for (const method of ['GET', 'HEAD']) {
            const [url, options] = carrier.send(path, key.token);
            const res = await server.request(method, url, options);
            assert.equal(res.status, 200, `${method} ${carrier.name}`);
          }
        }
        const writes: Array<[string, string, unknown]> = [
          ['POST', `/organizations/${a.org.canonical}/api_keys`, { name: 'escalate', rules: [] }],
          ['PUT', `/organizations/${a.org.canonical}/api_keys/${victim.canonical}`, { name: 'renamed' }],
          ['DELETE', `/organizations/${a.org.canonical}/api_keys/${victim.canonical}`, undefined],
          [
            'POST',
            `/organizations/${a.org.canonical}/events`,
            { type: 'Custom', severity: 'info', title: 't', message: 'm', tags: [] },
          ],
        ];
        for (const [method, path, body] of writes) {
          const [url, options] = carrier.send(path, key.token);
          const res = await server.request(method, url, { ...options, body });
          assert.equal(res.status, 403, `${method} ${path} via ${carrier.name}`);
          assert.equal(res.body.errors[0].code, 'Forbidden');
        }
      }
      const still = await server.request('GET', `/organizations/${a.org.canonical}/api_keys/${victim.canonical}`, {
        token: a.token,
      });
      assert.equal(still.body.data.name, 'victim key');
      const created = await server.database.db
        .selectFrom('api_keys')
        .select('id')
        .where('name', '=', 'escalate')
        .execute();
      assert.equal(created.length, 0);
    });

    it('a key of organization A gets 404 on organization B, through every carrier', async () => {
      const key = await makeApiKey(server, a.org, a.user, { rules: FULL_ADMIN });
      for (const carrier of CARRIERS) {
        for (const path of orgGets(b.org)) {
          const [url, options] = carrier.send(path, key.token);
          const res = await server.request('GET', url, options);
          assert.equal(res.status, 404, `${carrier.name} ${path}`);
          assert.ok(!res.text.includes(b.user.username));
        }
      }
    });

    it('a deleted key gets 401 on the next request, through every carrier', async () => {
      const key = await makeApiKey(server, a.org, a.user, { name: 'doomed key' });
      const path = orgGets(a.org)[0];
      assert.equal((await server.request('GET', path, { token: key.token })).status, 200);
      const del = await server.request('DELETE', `/organizations/${a.org.canonical}/api_keys/${key.canonical}`, {
        token: a.token,
      });
      assert.equal(del.status, 204);
      for (const carrier of CARRIERS) {
        const [url, options] = carrier.send(path, key.token);
        const res = await server.request('GET', url, options);
        assert.equal(res.status, 401, carrier.name);
        assert.equal(res.body.errors[0].code, 'Unauthorized');
      }
    });

    it('a key cannot be created with rules broader than its creator, whatever carries the token', async () => {
      await customRole(server, a.org, 'event-reader-keys', [
        { action: 'organization:event:read', resources: [] },
        { action: 'organization:api_key:create', resources: [] },
      ]);
      const user = await createUser(server);
      await addMember(server, a.org, user, 'event-reader-keys');
      const limitedKey = await makeApiKey(server, a.org, user, {
        rules: [
          { action: 'organization:event:read', resources: [] },
          { action: 'organization:api_key:create', resources: [] },
        ],
      });
      const path = `/organizations/${a.org.canonical}/api_keys`;
      for (const token of [sessionToken(server, user), limitedKey.token]) {
        for (const carrier of CARRIERS) {
          const [url, options] = carrier.send(path, token);
          const res = await server.request('POST', url, {
            ...options,
            body: { name: 'escalation', rules: [{ action: 'organization:**', effect: 'allow' }] },
          });
          assert.equal(res.status, 403, carrier.name);
          assert.match(res.body.errors[0].message, /exceeds your own permissions/);
        }
        const [url, options] = CARRIERS[2].send(path, token);
        const ok = await server.request('POST', url, {
          ...options,
          body: {
            name: `narrow ${Math.random().toString(36).slice(2, 7)}`,
            rules: [{ action: 'organization:event:read', effect: 'allow' }],
          },
        });
        assert.equal(ok.status, 200, ok.text);
      }
    });
  });
}
