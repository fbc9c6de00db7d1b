import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditTrail } from './helpers/api-keys.js';
import { configRepoFixture } from './helpers/config-repos.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { gitSync } from './helpers/git-servers.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

for (const engine of testEngines()) {
  describe(`config repositories (${engine})`, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { user: TestUser; org: TestOrg; token: string };
    let repo: string;
    let second: string;
    const path = (suffix = '') => `/organizations/${org.canonical}/config_repositories${suffix}`;
    const create = (body: Record<string, unknown>, as = token) => server.request('POST', path(), { token: as, body });
    const count = async () =>
      (
        await server.database.db
          .selectFrom('config_repositories')
          .select('id')
          .where('organization_id', '=', org.id)
          .execute()
      ).length;
    const commits = (branch: string) => gitSync(['rev-list', '--count', branch], repo).trim();
    const body = (over: Record<string, unknown> = {}) => ({
      name: 'Main config',
      url: repo,
      branch: 'main',
      credential_canonical: 'git-basic',
      default: false,
      ...over,
    });

    before(async () => {
      server = await startServer(engine);
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
      repo = configRepoFixture();
      second = configRepoFixture('second');
      const credentials = [
        {
          name: 'Git basic',
          canonical: 'git-basic',
          type: 'basic_auth',
          raw: { username: 'git', password: 'secret-pw' },
        },
        { name: 'AWS', canonical: 'aws-keys', type: 'aws', raw: { access_key: 'AKIAEXAMPLE', secret_key: 'sk' } },
      ];
      for (const c of credentials) {
        const res = await server.request('POST', `/organizations/${org.canonical}/credentials`, {
          token,
          body: { ...c, path: c.canonical },
        });
        assert.equal(res.status, 200, res.text);
      }
    });
    after(() => server.close());

    it('createConfigRepository checks the branch and makes the first repository the default', async () => {
      const res = await create(body());
      assert.equal(res.status, 200, res.text);
      const cr = res.body.data;
      assert.equal(cr.canonical, 'main-config');
      assert.equal(cr.name, 'Main config');
      assert.equal(cr.url, repo);
      assert.equal(cr.branch, 'main');
      assert.equal(cr.credential_canonical, 'git-basic');
      assert.equal(cr.default, true, 'the first config repository is the default even when false was sent');
      assert.ok(cr.id > 0 && cr.created_at > 0 && cr.updated_at > 0);
      const events = await auditTrail(server, org.id);
      assert.ok(events.some((e) => e.title === 'organization:config_repository:create'));
    });

    it('refuses bad input with a 4xx naming the field and creates nothing', async () => {
      const before = await count();
      const cases: Array<[Record<string, unknown>, number, RegExp]> = [
        [body(), 409, /canonical: config repository 'main-config' already exists/],
        [body({ canonical: 'other', branch: 'nope' }), 422, /branch: 'nope' does not exist.*main/],
        [
          body({ canonical: 'other', url: 'https://127.0.0.1:1/x.git', credential_canonical: 'aws-keys' }),
          422,
          /^credential_canonical: credential 'aws-keys' is of type 'aws'; 'basic_auth' is needed here$/,
        ],
        [
          body({ canonical: 'other', credential_canonical: 'ghost-cred' }),
          422,
          /^credential_canonical: no credential 'ghost-cred'$/,
        ],
        [body({ canonical: 'other', url: 'http://example.com/x.git' }), 422, /url: git URL refused \(rule "scheme"\)/],
        [body({ canonical: 'other', url: `${repo}-missing.git` }), 422, /^url: /],
        [body({ canonical: 'other', url: `${server.dataDir}/x.git` }), 422, /url: .*data directory/],
        [body({ canonical: 'Bad!' }), 400, /canonical/],
        [body({ canonical: 'other', name: ' ' }), 422, /name: must not be empty/],
        [body({ canonical: 'other', extra: 1 }), 400, /unknown field 'extra'/],
        [{ name: 'x', url: repo, branch: 'main', default: false }, 400, /credential_canonical/],
      ];
      for (const [payload, status, message] of cases) {
        const res = await create(payload);
        assert.equal(res.status, status, `${JSON.stringify(payload)} -> ${res.text}`);
        assert.match(res.body.errors[0].message, message);
      }
      assert.equal(await count(), before);
    });

    it('one default per organization: a new default takes the flag, the list filters on it', async () => {
      const res = await create(body({ name: 'Second', url: second, branch: 'config', default: true }));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.default, true);
      const first = await server.request('GET', path('/main-config'), { token });
      assert.equal(first.status, 200);
      assert.equal(first.body.data.default, false);
      const defaults = await server.request('GET', path('?default=true'), { token });
      assert.deepEqual(
        defaults.body.data.map((c: any) => c.canonical),
        ['second'],
      );
      const all = await server.request('GET', path(), { token });
      assert.deepEqual(
        all.body.data.map((c: any) => c.canonical),
        ['main-config', 'second'],
      );
      // The database holds the invariant, not only the service.
      await assert.rejects(
        server.database.db
          .updateTable('config_repositories')
          .set({ is_default: 1 })
          .where('organization_id', '=', org.id)
          .execute(),
      );
    });

    it('updateConfigRepository checks the new branch, keeps the canonical', async () => {
      const bad = await server.request('PUT', path('/main-config'), { token, body: body({ branch: 'gone' }) });
      assert.equal(bad.status, 422, bad.text);
      assert.match(bad.body.errors[0].message, /branch: 'gone'/);
      const res = await server.request('PUT', path('/main-config'), {
        token,
        body: body({ name: 'Main configuration', branch: 'config', default: true }),
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.canonical, 'main-config');
      assert.equal(res.body.data.name, 'Main configuration');
      assert.equal(res.body.data.branch, 'config');
      assert.equal(res.body.data.default, true);
      assert.equal((await server.request('GET', path('/second'), { token })).body.data.default, false);
      const missing = await server.request('PUT', path('/nothing-here'), { token, body: body() });
      assert.equal(missing.status, 404);
    });

    it('createConfigRepositoryConfig writes every file in one commit authored by the caller', async () => {
      const before = commits('config');
      const res = await server.request('POST', path('/main-config/config'), {
        token,
        body: {
          configs: [
            { path: 'shop/pipeline/variables-prod.yml', content: b64('env: prod\n') },
            { path: 'shop/terraform/prod/main.tf', content: b64('module "x" {}\n') },
          ],
        },
      });
      assert.equal(res.status, 204, res.text);
      assert.equal(Number(commits('config')), Number(before) + 1, 'one commit for the whole batch');
      assert.equal(gitSync(['show', 'config:shop/pipeline/variables-prod.yml'], repo), 'env: prod\n');
      assert.equal(gitSync(['show', 'config:shop/terraform/prod/main.tf'], repo), 'module "x" {}\n');
      assert.equal(
        gitSync(['log', '-1', '--format=%an <%ae>', 'config'], repo).trim(),
        `${admin.username} <${admin.email}>`,
      );
      const events = await auditTrail(server, org.id);
      const pushed = events.filter((e) => e.title === 'organization:config_repository:update').at(-1);
      assert.match(pushed?.tags.target ?? '', /config_repository:main-config commit:[0-9a-f]{12} files:2/);
    });

    it('createConfigRepositoryConfig refuses paths leaving the repository and bad base64, pushing nothing', async () => {
      const before = commits('config');
      const cases: Array<[unknown[], RegExp]> = [
        [[{ path: '../escape.yml', content: b64('x') }], /configs\[0\]\.path: '\.\.\/escape\.yml'/],
        [
          [
            { path: 'ok.yml', content: b64('x') },
            { path: '/etc/passwd', content: b64('x') },
          ],
          /configs\[1\]\.path: .*relative/,
        ],
        [[{ path: 'a/../../b', content: b64('x') }], /configs\[0\]\.path/],
        [[{ path: '.git/config', content: b64('x') }], /configs\[0\]\.path/],
        [
          [
            { path: 'ok.yml', content: b64('x') },
            { path: 'ok.yml', content: b64('y') },
          ],
          /configs\[1\]\.path: 'ok\.yml' is given twice/,
        ],
        [[], /configs: at least one file/],
      ];
      for (const [configs, message] of cases) {
        const res = await server.request('POST', path('/main-config/config'), { token, body: { configs } });
        assert.equal(res.status, 422, `${JSON.stringify(configs)} -> ${res.text}`);
        assert.match(res.body.errors[0].message, message);
      }
      const notBase64 = await server.request('POST', path('/main-config/config'), {
        token,
        body: { configs: [{ path: 'ok.yml', content: 'not base64!' }] },
      });
      assert.equal(notBase64.status, 400, notBase64.text);
      assert.match(notBase64.body.errors[0].message, /configs\.0\.content/);
      assert.equal(commits('config'), before);
    });

    it('deleteConfigRepository is refused while a project uses it', async () => {
      const project = await server.request('POST', `/organizations/${org.canonical}/projects`, {
        token,
        body: { name: 'Shop', config_repository_canonical: 'second' },
      });
      assert.equal(project.status, 200, project.text);
      const refused = await server.request('DELETE', path('/second'), { token });
      assert.equal(refused.status, 409, refused.text);
      assert.match(refused.body.errors[0].message, /used by 1 project/);
      assert.deepEqual(refused.body.errors[0].details, ['project shop']);
      const summary = await server.request('GET', `/organizations/${org.canonical}/summary`, { token });
      assert.equal(summary.body.data.config_repositories, 2);
      assert.equal(summary.body.data.projects, 1);

      const credential = await server.request('DELETE', `/organizations/${org.canonical}/credentials/git-basic`, {
        token,
      });
      assert.equal(credential.status, 409, credential.text);
      // The refusal and `in_use` name the repositories, through the credential users' registry.
      assert.match(credential.body.errors[0].message, /config repositor/);
      const inUse = await server.request('GET', `/organizations/${org.canonical}/credentials/git-basic`, { token });
      assert.ok(
        inUse.body.data.in_use.config_repositories.some((r: { canonical: string }) => r.canonical === 'second'),
        inUse.text,
      );
      assert.equal(
        (await server.request('DELETE', `/organizations/${org.canonical}/projects/shop`, { token })).status,
        204,
      );
      const deleted = await server.request('DELETE', path('/second'), { token });
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal((await server.request('GET', path('/second'), { token })).status, 404);
    });

    it('an organization holding config repositories but no project can be deleted', async () => {
      const doomed = await tenant(server);
      const orgPath = `/organizations/${doomed.org.canonical}`;
      const cred = await server.request('POST', `${orgPath}/credentials`, {
        token: doomed.token,
        body: { name: 'Git', canonical: 'git', path: 'git', type: 'basic_auth', raw: { username: 'u', password: 'p' } },
      });
      assert.equal(cred.status, 200, cred.text);
      const cr = await server.request('POST', `${orgPath}/config_repositories`, {
        token: doomed.token,
        body: body({ credential_canonical: 'git' }),
      });
      assert.equal(cr.status, 200, cr.text);
      const deleted = await server.request('DELETE', orgPath, { token: doomed.token });
      assert.equal(deleted.status, 204, deleted.text);
    });

    it("another organization's token gets 404, and members without rights get 403", async () => {
      for (const [method, suffix, payload] of [
        ['GET', '/main-config', undefined],
        ['PUT', '/main-config', body()],
        ['DELETE', '/main-config', undefined],
        ['POST', '/main-config/config', { configs: [{ path: 'x.yml', content: b64('x') }] }],
      ] as const) {
        const res = await server.request(method, path(suffix), { token: other.token, body: payload });
        assert.equal(res.status, 404, `${method} ${suffix}: ${res.text}`);
        assert.ok(!res.text.includes('main-config') || suffix.includes('main-config'));
      }
      const list = await server.request('GET', path(), { token: other.token });
      assert.equal(list.status, 404);

      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      const memberToken = sessionToken(server, member);
      assert.equal((await server.request('GET', path('/main-config'), { token: memberToken })).status, 200);
      const denied = await server.request('POST', path('/main-config/config'), {
        token: memberToken,
        body: { configs: [{ path: 'x.yml', content: b64('x') }] },
      });
      assert.equal(denied.status, 403, denied.text);
      assert.equal((await create(body({ canonical: 'by-member' }), memberToken)).status, 403);
    });
  });
}
