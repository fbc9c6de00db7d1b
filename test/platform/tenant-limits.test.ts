import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { pruneEvents } from '../../src/modules/events/retention.js';
import { BUILTIN_ROLES } from '../../src/platform/authz/builtin-roles.js';
import { createOrg, createUser, sessionToken, type TestOrg, tenant } from '../helpers/factories.js';
import { startServer, type TestServer, testEngines } from '../helpers/server.js';

/** Small limits, so each is reached in a few requests; everything else keeps its default. */
const LIMITS = {
  GANTRY_LIMIT_ORGANIZATIONS_PER_USER: '2',
  GANTRY_LIMIT_CHILDREN_PER_ORG: '1',
  GANTRY_LIMIT_ROLES_PER_ORG: String(BUILTIN_ROLES.length + 1),
  GANTRY_LIMIT_API_KEYS_PER_ORG: '1',
  // The built-in vault credential counts.
  GANTRY_LIMIT_CREDENTIALS_PER_ORG: '2',
  GANTRY_LIMIT_TEAMS_PER_ORG: '1',
  GANTRY_LIMIT_MEMBERS_PER_ORG: '4',
  GANTRY_LIMIT_PENDING_INVITATIONS_PER_ORG: '2',
  GANTRY_LIMIT_EXTERNAL_BACKENDS_PER_ORG: '1',
};

const teamBody = (name: string) => ({ name, roles_canonical: ['organization-member'] });

describe('limit settings', () => {
  it('default far above a normal team, and refuse values that are not a positive whole number', () => {
    const config = loadConfig({});
    assert.equal(config.limits.organizationsPerUser, 100);
    assert.equal(config.limits.rolesPerOrg, 500);
    assert.deepEqual(config.events, { retentionDays: 400, maxPerOrg: 1_000_000 });
    assert.equal(loadConfig({ GANTRY_LIMIT_TEAMS_PER_ORG: '7' }).limits.teamsPerOrg, 7);
    for (const [name, value] of [
      ['GANTRY_LIMIT_TEAMS_PER_ORG', '0'],
      ['GANTRY_LIMIT_API_KEYS_PER_ORG', 'many'],
      ['GANTRY_EVENTS_RETENTION_DAYS', '-1'],
      ['GANTRY_LIMIT_WIDGETS_PER_ORG', '5'],
    ]) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(name),
        name,
      );
    }
  });
});

for (const engine of testEngines()) {
  describe(`per-tenant limits (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine, { env: LIMITS });
    });
    after(() => server.close());

    const post = (path: string, token: string, body: unknown) => server.request('POST', path, { token, body });
    const countRows = async (table: 'organizations' | 'memberships', column: string, id: number) =>
      Number(
        (
          await server.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where(column as never, '=', id as never)
            .executeTakeFirstOrThrow()
        ).n,
      );

    /** Creates `allowed` through `create`, then expects the next one refused with a 422 naming `setting`. */
    async function reaches(setting: string, allowed: number, create: (i: number) => Promise<{ status: number }>) {
      for (let i = 0; i < allowed; i++) assert.equal((await create(i)).status, 200, `${setting}: creation ${i + 1}`);
      const refused = (await create(allowed)) as { status: number; body: any };
      assert.equal(refused.status, 422, `${setting}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.errors[0].code, 'Unprocessable');
      assert.match(refused.body.errors[0].message, /^limit reached: /);
      assert.ok(refused.body.errors[0].message.includes(`${setting}=`), refused.body.errors[0].message);
      assert.deepEqual(refused.body.errors[0].details, [`limit: ${setting}`]);
    }

    it('organizations per user: top-level organizations a user belongs to', async () => {
      const user = await createUser(server);
      const token = sessionToken(server, user);
      await createOrg(server, user);
      await reaches('GANTRY_LIMIT_ORGANIZATIONS_PER_USER', 1, (i) =>
        post('/organizations', token, { name: `Limit org ${i}` }),
      );
      assert.equal(
        (await server.database.db.selectFrom('organizations').select('id').where('name', '=', 'Limit org 1').execute())
          .length,
        0,
        'nothing written',
      );
      // Another user is not affected.
      const other = await createUser(server);
      assert.equal((await post('/organizations', sessionToken(server, other), { name: 'Their org' })).status, 200);
    });

    it('children per organization', async () => {
      const { org, token } = await tenant(server);
      await reaches('GANTRY_LIMIT_CHILDREN_PER_ORG', 1, (i) =>
        post(`/organizations/${org.canonical}/children`, token, { name: `Child ${i}` }),
      );
      assert.equal(await countRows('organizations', 'parent_id', org.id), 1);
    });

    it('roles per organization (built-in roles count)', async () => {
      const { org, token } = await tenant(server);
      await reaches('GANTRY_LIMIT_ROLES_PER_ORG', 1, (i) =>
        post(`/organizations/${org.canonical}/roles`, token, {
          name: `Custom ${i}`,
          rules: [{ action: 'organization:team:read', effect: 'allow' }],
        }),
      );
    });

    it('API keys per organization', async () => {
      const { org, token } = await tenant(server);
      await reaches('GANTRY_LIMIT_API_KEYS_PER_ORG', 1, (i) =>
        post(`/organizations/${org.canonical}/api_keys`, token, {
          name: `key ${i}`,
          rules: [{ action: 'organization:team:read', effect: 'allow' }],
        }),
      );
      // Deleting one makes room again.
      const keys = await server.request('GET', `/organizations/${org.canonical}/api_keys`, { token });
      const canonical = keys.body.data[0].canonical;
      assert.equal(
        (await server.request('DELETE', `/organizations/${org.canonical}/api_keys/${canonical}`, { token })).status,
        204,
      );
      const again = await post(`/organizations/${org.canonical}/api_keys`, token, {
        name: 'key again',
        rules: [{ action: 'organization:team:read', effect: 'allow' }],
      });
      assert.equal(again.status, 200);
    });

    it('credentials per organization (the built-in vault counts)', async () => {
      const { org, token } = await tenant(server);
      await reaches('GANTRY_LIMIT_CREDENTIALS_PER_ORG', 1, (i) =>
        post(`/organizations/${org.canonical}/credentials`, token, {
          name: `Login ${i}`,
          type: 'basic_auth',
          path: `limit/login-${i}`,
          raw: { username: 'u', password: 'p' },
        }),
      );
    });

    it('teams per organization', async () => {
      const { org, token } = await tenant(server);
      await reaches('GANTRY_LIMIT_TEAMS_PER_ORG', 1, (i) =>
        post(`/organizations/${org.canonical}/teams`, token, teamBody(`Team ${i}`)),
      );
      // Above the limit (it was lowered, or the rows predate it): counted no further than limit + 1.
      for (const canonical of ['extra-1', 'extra-2']) {
        await server.database.db
          .insertInto('teams')
          .values({
            organization_id: org.id,
            canonical,
            name: canonical,
            owner_user_id: null,
            created_at: 1,
            updated_at: 1,
          })
          .execute();
      }
      const refused = await post(`/organizations/${org.canonical}/teams`, token, teamBody('One more'));
      assert.equal(refused.status, 422, refused.text);
      assert.match(refused.body.errors[0].message, /already has more than 1 teams/);
    });

    it('pending invitations, then members (pending invitations included)', async () => {
      const { org, token } = await tenant(server);
      const invite = (i: number) =>
        post(`/organizations/${org.canonical}/members`, token, {
          email: `invitee-${i}-${org.canonical}@example.com`,
          role_canonical: 'organization-member',
        });
      await reaches('GANTRY_LIMIT_PENDING_INVITATIONS_PER_ORG', 2, invite);
      assert.equal(await countRows('memberships', 'organization_id', org.id), 3);
      // One accepted member more brings the organization to 4 memberships: the member limit.
      const joined = await createUser(server);
      const role = await server.database.db
        .selectFrom('roles')
        .select('id')
        .where('organization_id', '=', org.id)
        .where('canonical', '=', 'organization-member')
        .executeTakeFirstOrThrow();
      await server.database.db
        .insertInto('memberships')
        .values({
          organization_id: org.id,
          user_id: joined.id,
          role_id: role.id,
          invitation_email: null,
          invitation_state: null,
          invitation_token_hash: null,
          invitation_expires_at: null,
          invited_by: null,
          invited_at: null,
          invitation_resent_at: null,
          created_at: 0,
          updated_at: 0,
        })
        .execute();
      await server.database.db
        .deleteFrom('memberships')
        .where('organization_id', '=', org.id)
        .where('invitation_state', '=', 'pending')
        .where('invitation_email', 'like', 'invitee-0-%')
        .execute();
      await reaches('GANTRY_LIMIT_MEMBERS_PER_ORG', 1, (i) => invite(10 + i));
    });

    it('external backends per organization', async () => {
      const { org, token } = await tenant(server);
      await reaches('GANTRY_LIMIT_EXTERNAL_BACKENDS_PER_ORG', 1, (i) =>
        post(`/organizations/${org.canonical}/external_backends`, token, {
          purpose: 'remote_tfstate',
          configuration: { engine: 'HTTPStorage', url: `https://state.example.com/s${i}` },
        }),
      );
    });

    it('concurrent creations cannot both pass the count: exactly the limit is created', async () => {
      const { org, token } = await tenant(server);
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          post(`/organizations/${org.canonical}/teams`, token, teamBody(`Race ${i}`)),
        ),
      );
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 422, 422, 422, 422, 422]);
      const teams = await server.database.db
        .selectFrom('teams')
        .select('id')
        .where('organization_id', '=', org.id)
        .execute();
      assert.equal(teams.length, 1);
    });
  });

  describe(`events retention (${engine})`, () => {
    let server: TestServer;
    let a: TestOrg;
    let b: TestOrg;
    before(async () => {
      server = await startServer(engine, {
        env: { GANTRY_EVENTS_RETENTION_DAYS: '30', GANTRY_LIMIT_EVENTS_PER_ORG: '5' },
      });
      a = await createOrg(server, null);
      b = await createOrg(server, null);
      // The schedule fires once at start: let that run finish, so it does not race the tests' own runs.
      for (let i = 0; i < 200; i++) {
        const run = await server.database.db
          .selectFrom('jobs')
          .select('state')
          .where('kind', '=', 'events.prune')
          .executeTakeFirst();
        if (run?.state === 'done') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    after(() => server.close());

    const DAY = 86_400_000;
    async function addEvents(org: TestOrg, ages: number[]) {
      const rows = ages.map((ageMs, i) => ({
        organization_id: org.id,
        type: 'Custom',
        severity: 'info',
        title: `event ${i}`,
        message: `aged ${ageMs}`,
        color: null,
        icon: null,
        tags: '[]',
        timestamp_ms: Date.now() - ageMs,
      }));
      // In slices: one statement binds at most a few thousand values.
      for (let i = 0; i < rows.length; i += 500) {
        await server.database.db
          .insertInto('events')
          .values(rows.slice(i, i + 500))
          .execute();
      }
    }
    const titles = async (org: TestOrg) =>
      (
        await server.database.db
          .selectFrom('events')
          .select('title')
          .where('organization_id', '=', org.id)
          .orderBy('id')
          .execute()
      ).map((r) => r.title);

    it('is scheduled hourly by the events module and runs in the job runner', async () => {
      const schedule = await server.database.db
        .selectFrom('job_schedules')
        .selectAll()
        .where('name', '=', 'events.prune')
        .executeTakeFirst();
      assert.ok(schedule, 'events.prune is scheduled');
      // Its first tick ran through the job runner at start (awaited in before()).
      const runs = await server.database.db
        .selectFrom('jobs')
        .select(['state', 'last_error'])
        .where('kind', '=', 'events.prune')
        .execute();
      assert.deepEqual(
        runs.map((run) => run.state),
        ['done'],
        JSON.stringify(runs),
      );
    });

    it('deletes events past the retention period, then the oldest beyond the per-organization limit', async () => {
      await server.database.db.deleteFrom('events').where('organization_id', 'in', [a.id, b.id]).execute();
      // a: two expired (31 and 40 days), then eight recent ones of which the five newest stay.
      await addEvents(a, [40 * DAY, 31 * DAY, 29 * DAY, 20 * DAY, 10 * DAY, 5 * DAY, 4 * DAY, 3 * DAY, 2 * DAY, 1000]);
      // b: under the limit and recent: untouched.
      await addEvents(b, [29 * DAY, 1000, 10]);
      const removed = await pruneEvents(server.database.db, server.config.events);
      assert.ok(removed.expired >= 2, JSON.stringify(removed));
      assert.equal(removed.overLimit, 3);
      assert.deepEqual(await titles(a), ['event 5', 'event 6', 'event 7', 'event 8', 'event 9']);
      assert.deepEqual(await titles(b), ['event 0', 'event 1', 'event 2']);
      // A second run finds nothing more to do.
      assert.deepEqual(await pruneEvents(server.database.db, server.config.events), { expired: 0, overLimit: 0 });
    });

    it('pages through large deletions in bounded batches', async () => {
      await server.database.db.deleteFrom('events').where('organization_id', '=', a.id).execute();
      await addEvents(
        a,
        Array.from({ length: 12_000 }, () => 60 * DAY),
      );
      const removed = await pruneEvents(server.database.db, server.config.events);
      assert.equal(removed.expired, 12_000);
      assert.deepEqual(await titles(a), []);
    });
  });
}
