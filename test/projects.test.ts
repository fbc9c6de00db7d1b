import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditTrail } from './helpers/api-keys.js';
import { configRepoFixture } from './helpers/config-repos.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

for (const engine of testEngines()) {
  describe(`projects and environments (${engine})`, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { user: TestUser; org: TestOrg; token: string };
    const projects = (suffix = '') => `/organizations/${org.canonical}/projects${suffix}`;
    const create = (body: Record<string, unknown>, as = token) =>
      server.request('POST', projects(), { token: as, body: { config_repository_canonical: 'main-config', ...body } });
    const list = async (query = '', as = token) => {
      const res = await server.request('GET', projects(query), { token: as });
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((p: any) => p.canonical);
    };
    const member = async (role: string): Promise<[TestUser, number, string]> => {
      const user = await createUser(server);
      const id = await addMember(server, org, user, role);
      return [user, id, sessionToken(server, user)];
    };

    before(async () => {
      server = await startServer(engine);
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
      const cred = await server.request('POST', `/organizations/${org.canonical}/credentials`, {
        token,
        body: {
          name: 'Git',
          canonical: 'git-basic',
          path: 'git',
          type: 'basic_auth',
          raw: { username: 'u', password: 'p' },
        },
      });
      assert.equal(cred.status, 200, cred.text);
      const repo = configRepoFixture();
      for (const canonical of ['main-config', 'other-config']) {
        const cr = await server.request('POST', `/organizations/${org.canonical}/config_repositories`, {
          token,
          body: {
            name: canonical,
            canonical,
            url: repo,
            branch: 'main',
            credential_canonical: 'git-basic',
            default: false,
          },
        });
        assert.equal(cr.status, 200, cr.text);
      }
    });
    after(() => server.close());

    it('createProject answers the full Project, owned by its creator', async () => {
      const res = await create({ name: 'Web Shop', description: 'The shop front', color: 'blue', icon: 'cart' });
      assert.equal(res.status, 200, res.text);
      const p = res.body.data;
      assert.equal(p.canonical, 'web-shop');
      assert.equal(p.name, 'Web Shop');
      assert.equal(p.description, 'The shop front');
      assert.equal(p.color, 'blue');
      assert.equal(p.icon, 'cart');
      assert.equal(p.config_repository_canonical, 'main-config');
      assert.deepEqual(p.environments, []);
      assert.equal(p.favorite, false);
      assert.equal(p.owner.username, admin.username);
      assert.ok(p.id > 0 && p.created_at > 0 && p.updated_at > 0);
      const defaults = await create({ name: 'Plain' });
      assert.equal(defaults.status, 200, defaults.text);
      assert.equal(typeof defaults.body.data.color, 'string');
      assert.equal(typeof defaults.body.data.icon, 'string');
      const events = await auditTrail(server, org.id);
      assert.ok(events.some((e) => e.title === 'organization:project:create' && e.tags.target === 'project:web-shop'));
    });

    it('createProject refuses bad input with a clear 4xx and creates nothing', async () => {
      const before = (await server.request('GET', projects(), { token })).body.pagination.total;
      const cases: Array<[Record<string, unknown>, number, RegExp]> = [
        [{ name: 'Web Shop' }, 409, /canonical: project 'web-shop' already exists/],
        [
          { name: 'Ghost', config_repository_canonical: 'ghost-config' },
          422,
          /config_repository_canonical: .*'ghost-config'/,
        ],
        [{ name: 'Teamless', team_canonical: 'no-team' }, 422, /team_canonical: team 'no-team'/],
        [{ name: 'Orphan', owner: 'nobody-here' }, 422, /owner: 'nobody-here'/],
        [{ name: 'Stranger', owner: other.user.username }, 422, /owner/],
        [{ name: 'Bad', canonical: 'Bad!' }, 400, /canonical/],
        [{ name: '' }, 400, /name/],
        [{ name: 'Extra', extra: true }, 400, /unknown field 'extra'/],
        [{ name: 'Long colour', color: 'x'.repeat(65) }, 400, /color/],
      ];
      for (const [body, status, message] of cases) {
        const res = await create(body);
        assert.equal(res.status, status, `${JSON.stringify(body)} -> ${res.text}`);
        assert.match(res.body.errors[0].message, message);
      }
      const noRepo = await server.request('POST', projects(), { token, body: { name: 'No repo' } });
      assert.equal(noRepo.status, 400);
      assert.match(noRepo.body.errors[0].message, /config_repository_canonical/);
      assert.equal((await server.request('GET', projects(), { token })).body.pagination.total, before);
    });

    it('environments: create, read, update name and color, list per project and per organization', async () => {
      const prod = await server.request('POST', projects('/web-shop/environments'), {
        token,
        body: { name: 'Production', canonical: 'prod', color: 'red' },
      });
      assert.equal(prod.status, 200, prod.text);
      assert.deepEqual(
        { canonical: prod.body.data.canonical, name: prod.body.data.name, color: prod.body.data.color },
        { canonical: 'prod', name: 'Production', color: 'red' },
      );
      const staging = await server.request('POST', projects('/web-shop/environments'), {
        token,
        body: { name: 'Staging' },
      });
      assert.equal(staging.status, 200, staging.text);
      assert.equal(staging.body.data.canonical, 'staging');
      const plainProd = await server.request('POST', projects('/plain/environments'), {
        token,
        body: { name: 'prod' },
      });
      assert.equal(plainProd.status, 200, plainProd.text);

      const duplicate = await server.request('POST', projects('/web-shop/environments'), {
        token,
        body: { name: 'prod' },
      });
      assert.equal(duplicate.status, 409, duplicate.text);
      assert.match(
        duplicate.body.errors[0].message,
        /canonical: environment 'prod' already exists in project 'web-shop'/,
      );
      const badCanonical = await server.request('POST', projects('/web-shop/environments'), {
        token,
        body: { name: 'x', canonical: '-bad-' },
      });
      assert.equal(badCanonical.status, 400);
      assert.match(badCanonical.body.errors[0].message, /canonical/);
      const noProject = await server.request('POST', projects('/nothing/environments'), {
        token,
        body: { name: 'dev' },
      });
      assert.equal(noProject.status, 404);

      const updated = await server.request('PUT', projects('/web-shop/environments/prod'), {
        token,
        body: { name: 'Production EU', color: 'orange' },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.data.canonical, 'prod');
      assert.equal(updated.body.data.name, 'Production EU');
      assert.equal(updated.body.data.color, 'orange');
      const read = await server.request('GET', projects('/web-shop/environments/prod'), { token });
      assert.equal(read.body.data.name, 'Production EU');
      assert.equal((await server.request('GET', projects('/web-shop/environments/nope'), { token })).status, 404);

      const envs = await server.request('GET', projects('/web-shop/environments'), { token });
      assert.deepEqual(
        envs.body.data.map((e: any) => e.canonical),
        ['prod', 'staging'],
      );
      assert.equal(envs.body.pagination.total, 2);
      const project = await server.request('GET', projects('/web-shop'), { token });
      assert.deepEqual(
        project.body.data.environments.map((e: any) => e.canonical),
        ['prod', 'staging'],
      );
      const orgEnvs = await server.request('GET', `/organizations/${org.canonical}/environments?page_size=2`, {
        token,
      });
      assert.equal(orgEnvs.status, 200, orgEnvs.text);
      assert.equal(orgEnvs.body.pagination.total, 3);
      assert.equal(orgEnvs.body.data.length, 2);
    });

    it('updateProject needs the updated_at it read: a stale one is a 409', async () => {
      const read = (await server.request('GET', projects('/web-shop'), { token })).body.data;
      const stale = await server.request('PUT', projects('/web-shop'), {
        token,
        body: { name: 'Web Shop', updated_at: read.updated_at - 1 },
      });
      assert.equal(stale.status, 409, stale.text);
      assert.match(stale.body.errors[0].message, /updated_at/);
      const ok = await server.request('PUT', projects('/web-shop'), {
        token,
        body: { name: 'Web Shop 2', description: 'New text', updated_at: read.updated_at, cloud_provider: 'aws' },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.data.name, 'Web Shop 2');
      assert.equal(ok.body.data.description, 'New text');
      assert.equal(ok.body.data.color, 'blue', 'omitted fields keep their value');
      assert.ok(ok.body.data.updated_at > read.updated_at);
      const again = await server.request('PUT', projects('/web-shop'), {
        token,
        body: { name: 'Lost update', updated_at: read.updated_at },
      });
      assert.equal(again.status, 409, 'the value read before the first update is stale now');
      const noRepo = await server.request('PUT', projects('/web-shop'), {
        token,
        body: { name: 'x', updated_at: ok.body.data.updated_at, config_repository_canonical: 'ghost-config' },
      });
      assert.equal(noRepo.status, 422);
      assert.match(noRepo.body.errors[0].message, /config_repository_canonical/);
      const noTime = await server.request('PUT', projects('/web-shop'), { token, body: { name: 'x' } });
      assert.equal(noTime.status, 400);
      assert.match(noTime.body.errors[0].message, /updated_at/);
      assert.equal((await server.request('GET', projects('/web-shop'), { token })).body.data.name, 'Web Shop 2');
    });

    it('favorites are per user and filter the list', async () => {
      const [, , viewerToken] = await member('organization-admin');
      assert.equal((await server.request('POST', projects('/plain/favorites'), { token })).status, 204);
      assert.equal((await server.request('POST', projects('/plain/favorites'), { token })).status, 204, 'idempotent');
      assert.equal((await server.request('GET', projects('/plain'), { token })).body.data.favorite, true);
      assert.equal((await server.request('GET', projects('/plain'), { token: viewerToken })).body.data.favorite, false);
      assert.deepEqual(await list('?favorite=true'), ['plain']);
      assert.deepEqual(await list('?favorite=false'), ['web-shop']);
      assert.deepEqual(await list('?favorite=true', viewerToken), []);
      assert.equal((await server.request('DELETE', projects('/plain/favorites'), { token })).status, 204);
      assert.equal((await server.request('GET', projects('/plain'), { token })).body.data.favorite, false);
      assert.equal((await server.request('POST', projects('/nope/favorites'), { token })).status, 404);
    });

    it('getProjects filters, orders and pages in the database', async () => {
      assert.equal((await create({ name: 'Zeta api', config_repository_canonical: 'other-config' })).status, 200);
      assert.deepEqual(await list('?project_name=SHOP'), ['web-shop']);
      assert.deepEqual(await list('?project_description=new'), ['web-shop']);
      assert.deepEqual(await list('?project_config_repository_canonical=other-config'), ['zeta-api']);
      assert.deepEqual(await list('?environment_canonical=prod'), ['web-shop', 'plain']);
      assert.deepEqual(await list('?environment_canonical=staging'), ['web-shop']);
      assert.deepEqual(await list('?order_by=name:desc'), ['zeta-api', 'web-shop', 'plain']);
      assert.deepEqual(await list('?order_by=project_canonical:asc'), ['plain', 'web-shop', 'zeta-api']);
      assert.deepEqual(await list('?service_catalog_source_canonical=some-source'), []);
      const created = (await server.request('GET', projects('/plain'), { token })).body.data.created_at;
      assert.ok((await list(`?project_created_at=${created}`)).includes('plain'));
      const page = await server.request('GET', projects('?page_index=2&page_size=2&order_by=name:asc'), { token });
      assert.deepEqual(
        page.body.data.map((p: any) => p.canonical),
        ['zeta-api'],
      );
      assert.deepEqual(page.body.pagination, { index: 2, size: 2, total: 3 });
      const unknown = await server.request('GET', projects('?order_by=colour:asc'), { token });
      assert.equal(unknown.status, 400);

      // member_id: the projects a member owns or reaches through a team.
      const [creator, creatorId, creatorToken] = await member('default-project-creator');
      const mine = await create({ name: 'Creator project' }, creatorToken);
      assert.equal(mine.status, 200, mine.text);
      assert.equal(mine.body.data.owner.username, creator.username);
      assert.deepEqual(await list(`?member_id=${creatorId}`), ['creator-project']);
    });

    it('ownership: a project creator may change and delete their own project only', async () => {
      const [, , creatorToken] = await member('default-project-creator');
      const own = await create({ name: 'Own one' }, creatorToken);
      assert.equal(own.status, 200, own.text);
      const updated = await server.request('PUT', projects('/own-one'), {
        token: creatorToken,
        body: { name: 'Own one renamed', updated_at: own.body.data.updated_at },
      });
      assert.equal(updated.status, 200, updated.text);
      const env = await server.request('POST', projects('/own-one/environments'), {
        token: creatorToken,
        body: { name: 'dev' },
      });
      assert.equal(env.status, 200, env.text);
      const notTheirs = await server.request('PUT', projects('/plain'), {
        token: creatorToken,
        body: { name: 'Taken', updated_at: 1 },
      });
      assert.equal(notTheirs.status, 403);
      assert.equal((await server.request('DELETE', projects('/plain'), { token: creatorToken })).status, 403);
      assert.equal((await server.request('DELETE', projects('/own-one'), { token: creatorToken })).status, 204);

      const [, , memberToken] = await member('organization-member');
      assert.equal((await create({ name: 'Member project' }, memberToken)).status, 403);
      assert.equal((await server.request('GET', projects('/plain'), { token: memberToken })).status, 200);
      const [, , nobodyToken] = await member('default-no-permissions');
      assert.deepEqual(await list('', nobodyToken), []);
      const envs = await server.request('GET', `/organizations/${org.canonical}/environments`, { token: nobodyToken });
      assert.deepEqual(envs.body.data, []);
    });

    it('deletes are refused while external backends are scoped to the project or environment', async () => {
      const backend = await server.request('POST', `/organizations/${org.canonical}/external_backends`, {
        token,
        body: {
          purpose: 'remote_tfstate',
          project_canonical: 'web-shop',
          environment_canonical: 'staging',
          configuration: { engine: 'HTTPStorage', url: 'https://state.example.com/web-shop' },
        },
      });
      assert.equal(backend.status, 200, backend.text);
      const envRefused = await server.request('DELETE', projects('/web-shop/environments/staging'), { token });
      assert.equal(envRefused.status, 409, envRefused.text);
      assert.match(envRefused.body.errors[0].message, /environment 'staging' of project 'web-shop' is the scope of 1/);
      const projectRefused = await server.request('DELETE', projects('/web-shop'), { token });
      assert.equal(projectRefused.status, 409, projectRefused.text);
      assert.match(
        projectRefused.body.errors[0].details[0],
        /external backend \d+ \(remote_tfstate, HTTPStorage, environment staging\)/,
      );

      // An environment no backend names goes at once.
      assert.equal((await server.request('DELETE', projects('/web-shop/environments/prod'), { token })).status, 204);
      const gone = await server.request(
        'DELETE',
        `/organizations/${org.canonical}/external_backends/${backend.body.data.id}`,
        {
          token,
        },
      );
      assert.equal(gone.status, 204, gone.text);
      const deleted = await server.request('DELETE', projects('/web-shop'), { token });
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal((await server.request('GET', projects('/web-shop'), { token })).status, 404);
      const left = await server.database.db
        .selectFrom('environments')
        .select('canonical')
        .where('organization_id', '=', org.id)
        .execute();
      assert.deepEqual(
        left.map((e) => e.canonical),
        ['prod'],
        "only plain's environment is left: the project's went with it",
      );
      const events = await auditTrail(server, org.id);
      assert.ok(
        events.some(
          (e) =>
            e.title === 'organization:project:delete' && e.tags.target === 'project:web-shop with environments staging',
        ),
      );
    });

    it('log sources answer 404 for a project or environment that does not exist', async () => {
      const sources = (project: string, env: string) =>
        server.request('GET', projects(`/${project}/environments/${env}/logs/sources`), { token });
      assert.equal((await sources('plain', 'prod')).status, 200);
      assert.equal((await sources('plain', 'nowhere')).status, 404);
      assert.equal((await sources('nothing', 'prod')).status, 404);
    });

    it('an organization with projects cannot be deleted', async () => {
      const res = await server.request('DELETE', `/organizations/${org.canonical}`, { token });
      assert.equal(res.status, 409, res.text);
      assert.match(res.body.errors[0].message, /still has \d+ projects?/);
    });

    it('getCloudProviders lists the static providers, paged', async () => {
      const res = await server.request('GET', `/organizations/${org.canonical}/cloud_providers`, { token });
      assert.equal(res.status, 200, res.text);
      const canonicals = res.body.data.map((p: any) => p.canonical);
      for (const c of ['aws', 'azurerm', 'google', 'flexibleengine', 'openstack', 'vsphere', 'scaleway', 'ovh']) {
        assert.ok(canonicals.includes(c), c);
      }
      assert.ok(res.body.data.find((p: any) => p.canonical === 'aws').regions.includes('eu-west-1'));
      const page = await server.request(
        'GET',
        `/organizations/${org.canonical}/cloud_providers?page_size=2&page_index=2`,
        {
          token,
        },
      );
      assert.equal(page.body.data.length, 2);
      assert.equal(page.body.pagination.total, canonicals.length);
    });

    it("another organization's token gets 404 everywhere, naming nothing", async () => {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['GET', '/plain', undefined],
        ['PUT', '/plain', { name: 'x', updated_at: 1 }],
        ['DELETE', '/plain', undefined],
        ['POST', '/plain/favorites', undefined],
        ['GET', '/plain/environments', undefined],
        ['POST', '/plain/environments', { name: 'x' }],
        ['GET', '/plain/environments/prod', undefined],
        ['PUT', '/plain/environments/prod', { name: 'x' }],
        ['DELETE', '/plain/environments/prod', undefined],
      ] as const) {
        const res = await server.request(method, projects(suffix), { token: other.token, body });
        assert.equal(res.status, 404, `${method} ${suffix}: ${res.text}`);
        assert.ok(!res.text.includes('main-config'));
      }
      assert.equal(
        (await server.request('GET', `/organizations/${org.canonical}/environments`, { token: other.token })).status,
        404,
      );
      // B's own paths with A's canonicals find nothing.
      const own = await server.request('GET', `/organizations/${other.org.canonical}/projects/plain`, {
        token: other.token,
      });
      assert.equal(own.status, 404);
      const crossRepo = await server.request('POST', `/organizations/${other.org.canonical}/projects`, {
        token: other.token,
        body: { name: 'Borrow', config_repository_canonical: 'main-config' },
      });
      assert.equal(crossRepo.status, 422);
    });
  });
}
