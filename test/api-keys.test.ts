import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256 } from '../src/platform/crypto/hashing.js';
import { nowSeconds } from '../src/platform/db/columns.js';
import { auditTrail, customRole, FULL_ADMIN, makeApiKey } from './helpers/api-keys.js';
import {
  addMember,
  createOrg,
  createUser,
  sessionToken,
  type TestOrg,
  type TestUser,
  tenant,
} from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const keysPath = (org: TestOrg, canonical?: string) =>
  `/organizations/${org.canonical}/api_keys${canonical ? `/${canonical}` : ''}`;

for (const engine of testEngines()) {
  describe(`organization API keys (${engine})`, () => {
    let server: TestServer;
    let a: { user: TestUser; org: TestOrg; token: string };
    let b: { user: TestUser; org: TestOrg; token: string };

    const keyCount = async (org: TestOrg) =>
      (await server.database.db.selectFrom('api_keys').select('id').where('organization_id', '=', org.id).execute())
        .length;

    before(async () => {
      server = await startServer(engine);
      a = await tenant(server);
      b = await tenant(server);
    });
    after(() => server.close());

    it('createAPIKey returns the token once; reads show only last_seven; only a hash is stored', async () => {
      const res = await server.request('POST', keysPath(a.org), {
        token: a.token,
        body: {
          name: 'CI deploys',
          description: 'for the pipeline',
          rules: [{ action: 'organization:**', effect: 'allow' }],
        },
      });
      assert.equal(res.status, 200, res.text);
      const key = res.body.data;
      assert.equal(key.canonical, 'ci-deploys');
      assert.equal(key.name, 'CI deploys');
      assert.equal(key.description, 'for the pipeline');
      assert.match(key.token, /^gty_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      assert.equal(key.last_seven, key.token.slice(-7));
      assert.equal(key.owner.username, a.user.username);
      assert.deepEqual(
        key.rules.map((r: any) => ({ action: r.action, effect: r.effect, resources: r.resources })),
        [{ action: 'organization:**', effect: 'allow', resources: [] }],
      );
      assert.ok(key.rules[0].id >= 1);
      assert.equal(key.last_used, undefined);

      const read = await server.request('GET', keysPath(a.org, 'ci-deploys'), { token: a.token });
      assert.equal(read.status, 200);
      assert.equal(read.body.data.token, undefined);
      assert.equal(read.body.data.last_seven, key.last_seven);
      assert.ok(!read.text.includes(key.token));

      const row = await server.database.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', key.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.token_hash, sha256(key.token));
      assert.equal(row.prefix, key.token.slice(4, 16));
      assert.ok(!JSON.stringify(row).includes(key.token.slice(17)), 'the secret is not stored');

      const trail = await auditTrail(server, a.org.id);
      const created = trail.find((e) => e.tags.action === 'organization:api_key:create');
      assert.ok(created);
      assert.equal(created.tags.actor, a.user.username);
      assert.equal(created.tags.target, 'api_key:ci-deploys');
      assert.ok(!JSON.stringify(created.tags).includes(key.token));
    });

    it('the new key works at once, and last_used is written at most once a minute', async () => {
      const res = await server.request('POST', keysPath(a.org), {
        token: a.token,
        body: { name: 'usage probe', rules: [{ action: 'organization:api_key:*', effect: 'allow' }] },
      });
      const { token, id } = res.body.data;
      assert.equal((await server.request('GET', keysPath(a.org), { token })).status, 200);
      const db = server.database.db;
      const lastUsed = async () =>
        (await db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow())
          .last_used_at;
      const first = await lastUsed();
      assert.ok(first !== null && Math.abs(first - nowSeconds()) <= 2);
      const shown = await server.request('GET', keysPath(a.org, 'usage-probe'), { token: a.token });
      assert.equal(shown.body.data.last_used, first);

      await db
        .updateTable('api_keys')
        .set({ last_used_at: nowSeconds() - 30 })
        .where('id', '=', id)
        .execute();
      const recent = await lastUsed();
      await server.request('GET', keysPath(a.org), { token });
      assert.equal(await lastUsed(), recent, 'no write within the minute');

      await db
        .updateTable('api_keys')
        .set({ last_used_at: nowSeconds() - 120 })
        .where('id', '=', id)
        .execute();
      // A minute later the key's cached resolution has expired (the cache keeps entries 30 s at most);
      // a write request clears the cache the same way without waiting.
      await server.request('DELETE', keysPath(a.org, 'no-such-key'), { token: a.token });
      await server.request('GET', keysPath(a.org), { token });
      assert.ok((await lastUsed())! >= nowSeconds() - 2, 'written again after a minute');
    });

    it('refuses malformed and unknown tokens with 401', async () => {
      const created = await makeApiKey(server, a.org, a.user);
      const wrongSecret = `${created.token.slice(0, 17)}${'x'.repeat(43)}`;
      for (const token of ['gty_', 'gty_short', `gty_${'a'.repeat(12)}_secret`, wrongSecret, `${created.token}x`]) {
        const res = await server.request('GET', keysPath(a.org), { token });
        assert.equal(res.status, 401, token);
        assert.equal(res.body.errors[0].code, 'Unauthorized');
      }
    });

    it('derives canonicals, refuses duplicates (409) and bad input (400/422) without creating anything', async () => {
      const before = await keyCount(a.org);
      const body = { name: 'dupe key', rules: [{ action: 'organization:team:read', effect: 'allow' }] };
      assert.equal((await server.request('POST', keysPath(a.org), { token: a.token, body })).status, 200);
      const dupe = await server.request('POST', keysPath(a.org), { token: a.token, body });
      assert.equal(dupe.status, 409);
      assert.match(dupe.body.errors[0].message, /canonical/);

      const cases: Array<[unknown, number, RegExp]> = [
        [{ name: 'ab', rules: [] }, 400, /name/],
        [{ name: 'no rules' }, 400, /rules/],
        [{ name: 'extra field', rules: [], admin: true }, 400, /admin/],
        [{ name: 'deny rule', rules: [{ action: 'organization:team:read', effect: 'deny' }] }, 400, /effect/],
        [{ name: 'bad canonical', canonical: 'Bad Canonical', rules: [] }, 400, /canonical/],
        [{ name: 'unknown action', rules: [{ action: 'organization:spaceship:fly', effect: 'allow' }] }, 422, /action/],
        [{ name: 'glob of nothing', rules: [{ action: 'nothing:**', effect: 'allow' }] }, 422, /action/],
        [
          {
            name: 'foreign resource',
            rules: [
              {
                action: 'organization:team:read',
                effect: 'allow',
                resources: [`organization:${b.org.canonical}:team:x`],
              },
            ],
          },
          422,
          /resources\[0\]/,
        ],
        [
          {
            name: 'odd resource',
            rules: [{ action: 'organization:team:read', effect: 'allow', resources: ['team:x'] }],
          },
          422,
          /resources\[0\]/,
        ],
        [{ name: 'stranger owner', owner: b.user.username, rules: [] }, 422, /owner/],
      ];
      for (const [payload, status, message] of cases) {
        const res = await server.request('POST', keysPath(a.org), { token: a.token, body: payload });
        assert.equal(res.status, status, JSON.stringify(payload));
        assert.match(res.body.errors[0].message, message);
      }
      const readonlyJunk = await server.request('POST', `${keysPath(a.org)}?readonly=maybe`, {
        token: a.token,
        body: { name: 'junk flag', rules: [] },
      });
      assert.equal(readonlyJunk.status, 400);
      const unknownQuery = await server.request('POST', `${keysPath(a.org)}?admin=1`, {
        token: a.token,
        body: { name: 'junk query', rules: [] },
      });
      assert.equal(unknownQuery.status, 400);
      assert.equal(await keyCount(a.org), before + 1);
    });

    it('a key cannot hold more rights than its creator (403 naming the rule)', async () => {
      await customRole(server, a.org, 'key-maker', [
        { action: 'organization:api_key:*', resources: [] },
        { action: 'organization:event:read', resources: [] },
        { action: 'organization:team:read', resources: [`organization:${a.org.canonical}:team:blue`] },
      ]);
      const maker = await createUser(server);
      await addMember(server, a.org, maker, 'key-maker');
      const token = sessionToken(server, maker);
      const before = await keyCount(a.org);
      const tooBroad = [
        [{ action: 'organization:**', effect: 'allow' }],
        [{ action: 'organization:event:create', effect: 'allow' }],
        [{ action: 'organization:team:read', effect: 'allow' }],
        [
          {
            action: 'organization:team:read',
            effect: 'allow',
            resources: [`organization:${a.org.canonical}:team:red`],
          },
        ],
      ];
      for (const rules of tooBroad) {
        const res = await server.request('POST', keysPath(a.org), { token, body: { name: 'too broad', rules } });
        assert.equal(res.status, 403, JSON.stringify(rules));
        assert.match(res.body.errors[0].message, /rules\[0\]/);
        assert.ok(res.body.errors[0].message.includes(rules[0].action));
      }
      assert.equal(await keyCount(a.org), before);

      const ok = await server.request('POST', keysPath(a.org), {
        token,
        body: {
          name: 'narrow enough',
          rules: [
            { action: 'organization:event:read', effect: 'allow' },
            {
              action: 'organization:team:read',
              effect: 'allow',
              resources: [`organization:${a.org.canonical}:team:blue`],
            },
          ],
        },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.data.owner.username, maker.username);
    });

    it('owners see, change and delete their own keys; lists show only what the caller may read', async () => {
      await customRole(server, a.org, 'key-lister', [{ action: 'organization:api_key:list', resources: [] }]);
      const owner = await createUser(server);
      const membershipId = await addMember(server, a.org, owner, 'key-lister');
      const ownerToken = sessionToken(server, owner);
      const mine = await server.request('POST', keysPath(a.org), {
        token: a.token,
        body: {
          name: 'owned key',
          owner: owner.username,
          rules: [{ action: 'organization:event:read', effect: 'allow' }],
        },
      });
      assert.equal(mine.status, 200, mine.text);
      assert.equal(mine.body.data.owner.username, owner.username);

      const list = await server.request('GET', keysPath(a.org), { token: ownerToken });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.data.map((k: any) => k.canonical),
        ['owned-key'],
      );
      assert.equal(list.body.pagination.total, 1);
      assert.equal((await server.request('GET', keysPath(a.org, 'owned-key'), { token: ownerToken })).status, 200);
      assert.equal((await server.request('GET', keysPath(a.org, 'ci-deploys'), { token: ownerToken })).status, 403);

      const byMember = await server.request('GET', `${keysPath(a.org)}?member_id=${membershipId}`, { token: a.token });
      assert.deepEqual(
        byMember.body.data.map((k: any) => k.canonical),
        ['owned-key'],
      );
      const unknownMember = await server.request('GET', `${keysPath(a.org)}?member_id=999999`, { token: a.token });
      assert.equal(unknownMember.status, 200);
      assert.deepEqual(unknownMember.body.data, []);

      const renamed = await server.request('PUT', keysPath(a.org, 'owned-key'), {
        token: ownerToken,
        body: { name: 'owned key renamed', description: 'mine', owner: owner.username },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.data.name, 'owned key renamed');
      assert.equal(renamed.body.data.canonical, 'owned-key');
      assert.equal((await server.request('DELETE', keysPath(a.org, 'owned-key'), { token: ownerToken })).status, 204);
      assert.equal((await server.request('DELETE', keysPath(a.org, 'ci-deploys'), { token: ownerToken })).status, 403);
    });

    it('an owner may be a member of an ancestor organization, but not of an unrelated one', async () => {
      const parent = await tenant(server);
      const child = await createOrg(server, parent.user, { parent: parent.org });
      const parentMember = await createUser(server);
      await addMember(server, parent.org, parentMember, 'organization-member');
      const owned = await server.request('POST', keysPath(child), {
        token: parent.token,
        body: { name: 'inherited owner', owner: parentMember.username, rules: [] },
      });
      assert.equal(owned.status, 200, owned.text);
      assert.equal(owned.body.data.owner.username, parentMember.username);
      const stranger = await server.request('POST', keysPath(child), {
        token: parent.token,
        body: { name: 'stranger owner', owner: b.user.username, rules: [] },
      });
      assert.equal(stranger.status, 422, stranger.text);
      assert.match(stranger.body.errors[0].message, /owner: '.+' is not a member of this organization/);
    });

    it('getAPIKeys pages in the database', async () => {
      const { org, token, user } = await tenant(server);
      for (let i = 0; i < 5; i++) await makeApiKey(server, org, user, { name: `paged key ${i}` });
      const page = await server.request('GET', `/organizations/${org.canonical}/api_keys?page_index=2&page_size=2`, {
        token,
      });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body.pagination, { index: 2, size: 2, total: 5 });
      assert.deepEqual(
        page.body.data.map((k: any) => k.name),
        ['paged key 2', 'paged key 3'],
      );
      const bad = await server.request('GET', `/organizations/${org.canonical}/api_keys?page_index=abc`, { token });
      assert.equal(bad.status, 400);
    });

    it('updateAPIkey changes name/description/owner only; omitted fields are cleared; rules are immutable', async () => {
      const colleague = await createUser(server);
      await addMember(server, a.org, colleague, 'organization-member');
      const created = await server.request('POST', keysPath(a.org), {
        token: a.token,
        body: { name: 'to update', description: 'old', rules: [{ action: 'organization:team:read', effect: 'allow' }] },
      });
      const rulesBefore = created.body.data.rules;
      const res = await server.request('PUT', keysPath(a.org, 'to-update'), {
        token: a.token,
        body: { name: 'updated name', description: 'new', owner: colleague.username },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.name, 'updated name');
      assert.equal(res.body.data.description, 'new');
      assert.equal(res.body.data.owner.username, colleague.username);
      assert.deepEqual(res.body.data.rules, rulesBefore);
      assert.equal(res.body.data.token, undefined);

      const cleared = await server.request('PUT', keysPath(a.org, 'to-update'), {
        token: a.token,
        body: { name: 'updated name' },
      });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.body.data.description, '');
      assert.equal(cleared.body.data.owner, undefined);

      for (const [body, status] of [
        [{ name: 'x', rules: [] }, 400],
        [{ name: 'with rules', rules: [] }, 400],
        [{ name: 'ab' }, 400],
        [{ name: 'stranger', owner: b.user.username }, 422],
      ] as const) {
        const bad = await server.request('PUT', keysPath(a.org, 'to-update'), { token: a.token, body });
        assert.equal(bad.status, status, JSON.stringify(body));
      }
      const after = await server.request('GET', keysPath(a.org, 'to-update'), { token: a.token });
      assert.equal(after.body.data.name, 'updated name');
      assert.equal(
        (await server.request('PUT', keysPath(a.org, 'nope-key'), { token: a.token, body: { name: 'abc' } })).status,
        404,
      );

      const trail = await auditTrail(server, a.org.id);
      assert.ok(
        trail.some((e) => e.tags.action === 'organization:api_key:update' && e.tags.target === 'api_key:to-update'),
      );
    });

    it('deleteAPIKey answers 204 and revokes the key on the next request', async () => {
      const created = await makeApiKey(server, a.org, a.user, { name: 'short lived' });
      assert.equal((await server.request('GET', keysPath(a.org), { token: created.token })).status, 200);
      const res = await server.request('DELETE', keysPath(a.org, created.canonical), { token: a.token });
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      const after = await server.request('GET', keysPath(a.org), { token: created.token });
      assert.equal(after.status, 401);
      assert.equal((await server.request('GET', keysPath(a.org, created.canonical), { token: a.token })).status, 404);
      assert.equal(
        (await server.request('DELETE', keysPath(a.org, created.canonical), { token: a.token })).status,
        404,
      );
      const rules = await server.database.db
        .selectFrom('api_key_rules')
        .select('id')
        .where('api_key_id', '=', created.id)
        .execute();
      assert.equal(rules.length, 0);
      const trail = await auditTrail(server, a.org.id);
      assert.ok(
        trail.some(
          (e) => e.tags.action === 'organization:api_key:delete' && e.tags.target === `api_key:${created.canonical}`,
        ),
      );
    });

    it("another organization's admin gets 404 and learns nothing", async () => {
      const secret = await makeApiKey(server, a.org, a.user, { name: 'secret key of a' });
      const before = await keyCount(a.org);
      const attempts: Array<[string, string, unknown]> = [
        ['GET', keysPath(a.org), undefined],
        ['GET', keysPath(a.org, secret.canonical), undefined],
        ['PUT', keysPath(a.org, secret.canonical), { name: 'hijacked' }],
        ['DELETE', keysPath(a.org, secret.canonical), undefined],
        ['POST', keysPath(a.org), { name: 'planted', rules: [{ action: 'organization:**', effect: 'allow' }] }],
      ];
      const bKey = await makeApiKey(server, b.org, b.user);
      for (const token of [b.token, bKey.token]) {
        for (const [method, path, body] of attempts) {
          const res = await server.request(method, path, { token, body });
          assert.equal(res.status, 404, `${method} ${path}`);
          assert.equal(res.body.errors[0].code, 'NotFound');
          assert.ok(!res.text.includes(secret.token.slice(-7)));
          assert.ok(!res.text.includes('secret key of a'));
        }
      }
      const mine = await server.request('GET', keysPath(b.org), { token: b.token });
      assert.ok(mine.body.data.every((k: any) => k.name !== 'secret key of a'));
      assert.equal(await keyCount(a.org), before);
      const still = await server.request('GET', keysPath(a.org, secret.canonical), { token: a.token });
      assert.equal(still.body.data.name, 'secret key of a');
    });

    it('members without API key rights get 403; keys only work on organization endpoints', async () => {
      const reader = await createUser(server);
      await addMember(server, a.org, reader, 'default-no-permissions');
      const token = sessionToken(server, reader);
      assert.equal((await server.request('GET', keysPath(a.org), { token })).status, 403);
      const res = await server.request('POST', keysPath(a.org), { token, body: { name: 'nope nope', rules: [] } });
      assert.equal(res.status, 403);

      const key = await makeApiKey(server, a.org, a.user, { rules: FULL_ADMIN });
      for (const [method, path] of [
        ['GET', '/user'],
        ['GET', '/user/refresh_token'],
        ['POST', '/organizations'],
      ]) {
        const refused = await server.request(method, path, {
          token: key.token,
          body: method === 'POST' ? { name: 'key made org' } : undefined,
        });
        assert.equal(refused.status, 403, path);
        assert.match(refused.body.errors[0].message, /organization endpoints/);
      }
      // Listing organizations is how clients discover where a key works: not refused by the key layer.
      const orgs = await server.request('GET', '/organizations', { token: key.token });
      assert.ok(orgs.status === 200 || orgs.status === 501, orgs.text);
      if (orgs.status === 200) {
        assert.deepEqual(
          orgs.body.data.map((o: any) => o.canonical),
          [a.org.canonical],
        );
      }
      assert.equal((await server.request('GET', '/version', { token: key.token })).status, 200);
      const bogus = await server.request('GET', '/user', { token: 'gty_aaaaaaaaaaaa_nothing' });
      assert.equal(bogus.status, 401);
    });

    describe('keys do not outlive what they stand for', () => {
      const teams = (org: TestOrg) => `/organizations/${org.canonical}/teams`;
      const create = (org: TestOrg, token: string, body: Record<string, unknown>) =>
        server.request('POST', keysPath(org), {
          token,
          body: { rules: [{ action: 'organization:**', effect: 'allow' }], ...body },
        });

      it('an expiry in the past is refused; a key stops working when it expires', async () => {
        const t = await tenant(server);
        const past = await create(t.org, t.token, { name: 'too late', expires_at: nowSeconds() - 10 });
        assert.equal(past.status, 422);
        assert.match(past.body.errors[0].message, /expires_at: must be in the future/);
        const soon = nowSeconds() + 3600;
        const made = await create(t.org, t.token, { name: 'short lived', expires_at: soon });
        assert.equal(made.status, 200, made.text);
        assert.equal(made.body.data.expires_at, soon);
        assert.equal((await server.request('GET', teams(t.org), { token: made.body.data.token })).status, 200);
        await server.database.db
          .updateTable('api_keys')
          .set({ expires_at: nowSeconds() - 1 })
          .where('canonical', '=', 'short-lived')
          .execute();
        // The cached resolution holds until its expiry at most; an access write drops it now.
        await server.request('DELETE', keysPath(t.org, 'no-such-key'), { token: t.token });
        assert.equal((await server.request('GET', teams(t.org), { token: made.body.data.token })).status, 401);
      });

      it("a removed member's keys fail on the next request, until an admin gives them a new owner", async () => {
        const t = await tenant(server);
        const member = await createUser(server);
        const memberId = await addMember(server, t.org, member, 'organization-admin');
        const made = await create(t.org, sessionToken(server, member), { name: 'member key' });
        assert.equal(made.status, 200, made.text);
        const key = made.body.data.token;
        assert.equal((await server.request('GET', teams(t.org), { token: key })).status, 200);
        const removed = await server.request('DELETE', `/organizations/${t.org.canonical}/members/${memberId}`, {
          token: t.token,
        });
        assert.equal(removed.status, 204, removed.text);
        assert.equal((await server.request('GET', teams(t.org), { token: key })).status, 401);
        const reowned = await server.request('PUT', keysPath(t.org, 'member-key'), {
          token: t.token,
          body: { name: 'member key', owner: t.user.username },
        });
        assert.equal(reowned.status, 200, reowned.text);
        assert.equal((await server.request('GET', teams(t.org), { token: key })).status, 200);
        const trail = await auditTrail(server, t.org.id);
        assert.ok(
          trail.some((e: any) => e.type === 'organization:api_key:update' || /api_key/.test(JSON.stringify(e))),
        );
      });

      it("a deleted account's keys stop working instead of living on without an owner", async () => {
        const t = await tenant(server);
        const member = await createUser(server);
        await addMember(server, t.org, member, 'organization-admin');
        const memberToken = sessionToken(server, member);
        const made = await create(t.org, memberToken, { name: 'orphan key' });
        const key = made.body.data.token;
        assert.equal((await server.request('GET', teams(t.org), { token: key })).status, 200);
        const gone = await server.request('DELETE', '/user', { token: memberToken });
        assert.equal(gone.status, 204, gone.text);
        assert.equal((await server.request('GET', teams(t.org), { token: key })).status, 401);
      });

      it('a key created by a key dies with it', async () => {
        const t = await tenant(server);
        const parent = await create(t.org, t.token, { name: 'parent key' });
        const child = await create(t.org, parent.body.data.token, { name: 'child key' });
        assert.equal(child.status, 200, child.text);
        assert.equal((await server.request('GET', teams(t.org), { token: child.body.data.token })).status, 200);
        assert.equal((await server.request('DELETE', keysPath(t.org, 'parent-key'), { token: t.token })).status, 204);
        assert.equal((await server.request('GET', teams(t.org), { token: child.body.data.token })).status, 401);
        assert.equal((await server.request('GET', keysPath(t.org, 'child-key'), { token: t.token })).status, 404);
      });
    });
  });
}
