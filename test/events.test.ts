import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeApiKey } from './helpers/api-keys.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const eventsPath = (org: TestOrg, query = '') => `/organizations/${org.canonical}/events${query}`;

for (const engine of testEngines()) {
  describe(`organization events (${engine})`, () => {
    let server: TestServer;
    let a: { user: TestUser; org: TestOrg; token: string };
    let b: { user: TestUser; org: TestOrg; token: string };

    /** Events at fixed times, written straight to the database so range filters are deterministic. */
    async function seed(org: TestOrg, rows: Array<{ at: number; type: string; severity: string; title: string }>) {
      await server.database.db
        .insertInto('events')
        .values(
          rows.map((r) => ({
            organization_id: org.id,
            type: r.type,
            severity: r.severity,
            title: r.title,
            message: `${r.title} happened`,
            color: null,
            icon: null,
            tags: JSON.stringify([{ key: 'seed', value: r.title }]),
            timestamp_ms: r.at,
          })),
        )
        .execute();
    }

    const eventCount = async (org: TestOrg) =>
      (await server.database.db.selectFrom('events').select('id').where('organization_id', '=', org.id).execute())
        .length;

    before(async () => {
      server = await startServer(engine);
      a = await tenant(server);
      b = await tenant(server);
    });
    after(() => server.close());

    it('sendEvent records an event stamped with the server time in milliseconds', async () => {
      const before = Date.now();
      const res = await server.request('POST', eventsPath(a.org), {
        token: a.token,
        body: {
          type: 'Custom',
          severity: 'warn',
          title: 'Deploy started',
          message: 'v1.2.3 is rolling out',
          color: 'orange',
          icon: 'fa-rocket',
          tags: [
            { key: 'env', value: 'prod' },
            { key: 'project', value: 'shop' },
          ],
        },
      });
      assert.equal(res.status, 200, res.text);
      const event = res.body.data;
      assert.ok(event.id >= 1);
      assert.ok(event.timestamp >= before && event.timestamp <= Date.now());
      assert.deepEqual(
        { ...event, id: 0, timestamp: 0 },
        {
          id: 0,
          timestamp: 0,
          type: 'Custom',
          severity: 'warn',
          title: 'Deploy started',
          message: 'v1.2.3 is rolling out',
          color: 'orange',
          icon: 'fa-rocket',
          tags: [
            { key: 'env', value: 'prod' },
            { key: 'project', value: 'shop' },
          ],
        },
      );
      const list = await server.request('GET', eventsPath(a.org), { token: a.token });
      assert.equal(list.status, 200);
      assert.equal(list.body.pagination, undefined, 'the contract does not page getEvents');
      assert.deepEqual(list.body.data[0], event);
    });

    it('sendEvent refuses bad input (400) and audit-type events (422), writing nothing', async () => {
      const before = await eventCount(a.org);
      const valid = { type: 'Custom', severity: 'info', title: 't', message: 'm', tags: [] };
      const bad: unknown[] = [
        { ...valid, severity: 'panic' },
        { ...valid, type: 'Other' },
        { ...valid, title: '' },
        { ...valid, tags: undefined },
        { ...valid, tags: [{ key: 'k', value: 'semi;colon' }] },
        { ...valid, tags: [{ key: '', value: 'v' }] },
        { ...valid, timestamp: 5 },
        { ...valid, color: 'AB' },
      ];
      for (const body of bad) {
        const res = await server.request('POST', eventsPath(a.org), { token: a.token, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.errors[0].code, 'BadRequest');
      }
      const forged = await server.request('POST', eventsPath(a.org), {
        token: a.token,
        body: { ...valid, type: 'Cycloid', tags: [{ key: 'action', value: 'organization:delete' }] },
      });
      assert.equal(forged.status, 422, 'the audit trail cannot be forged');
      assert.match(forged.body.errors[0].message, /reserved/);
      assert.equal(await eventCount(a.org), before);
    });

    it('getEvents filters by inclusive millisecond range, type and severity (AND), newest first', async () => {
      const { org, token } = await tenant(server);
      // A day ago: inside the retention period, which the hourly pruning job enforces.
      const t0 = Date.now() - 86_400_000;
      await seed(org, [
        { at: t0, type: 'Custom', severity: 'info', title: 'first' },
        { at: t0 + 1000, type: 'AWS', severity: 'err', title: 'second' },
        { at: t0 + 2000, type: 'Custom', severity: 'err', title: 'third' },
        { at: t0 + 3000, type: 'Monitoring', severity: 'crit', title: 'fourth' },
      ]);
      const titles = async (query: string) => {
        const res = await server.request('GET', eventsPath(org, query), { token });
        assert.equal(res.status, 200, `${query}: ${res.text}`);
        return res.body.data.map((e: any) => e.title);
      };
      assert.deepEqual(await titles(''), ['fourth', 'third', 'second', 'first']);
      assert.deepEqual(await titles(`?begin=${t0 + 1000}&end=${t0 + 2000}`), ['third', 'second']);
      assert.deepEqual(await titles(`?begin=${t0 + 1001}`), ['fourth', 'third']);
      assert.deepEqual(await titles(`?end=${t0}`), ['first']);
      assert.deepEqual(await titles('?type=Custom'), ['third', 'first']);
      assert.deepEqual(await titles('?type=Custom&type=AWS'), ['third', 'second', 'first']);
      assert.deepEqual(await titles('?severity=err'), ['third', 'second']);
      assert.deepEqual(await titles('?severity=err&type=Custom'), ['third']);
      assert.deepEqual(await titles(`?severity=err&severity=crit&begin=${t0 + 1500}`), ['fourth', 'third']);
      assert.deepEqual(await titles('?type=Cycloid&severity=crit'), []);
      assert.deepEqual(await titles('?page_index=2&page_size=1'), ['third'], 'an explicit page window is honoured');
    });

    it('getEvents refuses bad filters', async () => {
      for (const [query, status] of [
        ['?begin=yesterday', 400],
        ['?type=Unknown', 400],
        ['?severity=fatal', 400],
        ['?begin=-5', 400],
        ['?begin=20&end=10', 422],
        ['?colour=red', 400],
      ] as const) {
        const res = await server.request('GET', eventsPath(a.org, query), { token: a.token });
        assert.equal(res.status, status, query);
        assert.ok(Array.isArray(res.body.errors));
      }
    });

    it('audit events of mutations appear in getEvents with their tags', async () => {
      const since = Date.now();
      const created = await server.request('POST', `/organizations/${a.org.canonical}/api_keys`, {
        token: a.token,
        body: { name: 'audited key', rules: [{ action: 'organization:event:read', effect: 'allow' }] },
      });
      assert.equal(created.status, 200);
      const res = await server.request('GET', eventsPath(a.org, `?type=Cycloid&begin=${since}`), { token: a.token });
      assert.equal(res.status, 200);
      const audit = res.body.data.find((e: any) =>
        e.tags.some((t: any) => t.key === 'action' && t.value === 'organization:api_key:create'),
      );
      assert.ok(audit, JSON.stringify(res.body.data));
      const tags = Object.fromEntries(audit.tags.map((t: any) => [t.key, t.value]));
      assert.equal(tags.actor, a.user.username);
      assert.equal(tags.target, 'api_key:audited-key');
      assert.ok(tags.request_id);
      assert.equal(audit.severity, 'info');
      assert.ok(!JSON.stringify(audit).includes(created.body.data.token));

      // An API key's own actions are attributed to the key.
      const keyed = await server.request('DELETE', `/organizations/${a.org.canonical}/api_keys/audited-key`, {
        token: (await makeApiKey(server, a.org, a.user)).token,
      });
      assert.equal(keyed.status, 204);
      const after = await server.request('GET', eventsPath(a.org, `?begin=${since}`), { token: a.token });
      const deletion = after.body.data.find((e: any) =>
        e.tags.some((t: any) => t.key === 'action' && t.value === 'organization:api_key:delete'),
      );
      assert.ok(deletion);
      assert.match(deletion.tags.find((t: any) => t.key === 'actor').value, /^api_key:\d+$/);
    });

    it('getEventsTags lists every tag key with its distinct values', async () => {
      const { org, token } = await tenant(server);
      const send = (tags: Array<{ key: string; value: string }>) =>
        server.request('POST', eventsPath(org), {
          token,
          body: { type: 'Custom', severity: 'info', title: 'tagged', message: 'tagged', tags },
        });
      await send([
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'blue' },
      ]);
      await send([
        { key: 'env', value: 'staging' },
        { key: 'env', value: 'prod' },
      ]);
      await send([]);
      const res = await server.request('GET', `/organizations/${org.canonical}/events/tags`, { token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, { env: ['prod', 'staging'], team: ['blue'] });
      const empty = await tenant(server);
      const none = await server.request('GET', `/organizations/${empty.org.canonical}/events/tags`, {
        token: empty.token,
      });
      assert.deepEqual(none.body, { data: {} });
    });

    it('members read events but need organization:event:create to send one', async () => {
      const member = await createUser(server);
      await addMember(server, a.org, member, 'organization-member');
      const token = sessionToken(server, member);
      assert.equal((await server.request('GET', eventsPath(a.org), { token })).status, 200);
      assert.equal(
        (await server.request('GET', `/organizations/${a.org.canonical}/events/tags`, { token })).status,
        200,
      );
      const before = await eventCount(a.org);
      const res = await server.request('POST', eventsPath(a.org), {
        token,
        body: { type: 'Custom', severity: 'info', title: 't', message: 'm', tags: [] },
      });
      assert.equal(res.status, 403);
      assert.equal(await eventCount(a.org), before);

      const nobody = await createUser(server);
      await addMember(server, a.org, nobody, 'default-no-permissions');
      assert.equal(
        (await server.request('GET', eventsPath(a.org), { token: sessionToken(server, nobody) })).status,
        403,
      );
    });

    it("another organization's admin and keys get 404 and see none of its events", async () => {
      await server.request('POST', eventsPath(a.org), {
        token: a.token,
        body: {
          type: 'Custom',
          severity: 'info',
          title: 'private-of-a',
          message: 'secret-of-a',
          tags: [{ key: 'owner', value: 'tenant-a' }],
        },
      });
      const before = await eventCount(a.org);
      const bKey = await makeApiKey(server, b.org, b.user);
      for (const token of [b.token, bKey.token]) {
        for (const [method, path, body] of [
          ['GET', eventsPath(a.org), undefined],
          ['GET', `/organizations/${a.org.canonical}/events/tags`, undefined],
          [
            'POST',
            eventsPath(a.org),
            { type: 'Custom', severity: 'info', title: 'planted', message: 'planted', tags: [] },
          ],
        ] as const) {
          const res = await server.request(method, path, { token, body });
          assert.equal(res.status, 404, `${method} ${path}`);
          assert.ok(!res.text.includes('secret-of-a') && !res.text.includes('tenant-a'));
        }
      }
      assert.equal(await eventCount(a.org), before);
      const own = await server.request('GET', eventsPath(b.org), { token: b.token });
      assert.ok(!own.text.includes('secret-of-a'));
      const tags = await server.request('GET', `/organizations/${b.org.canonical}/events/tags`, { token: b.token });
      assert.ok(!tags.text.includes('tenant-a'));
    });
  });
}
