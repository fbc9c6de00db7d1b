import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ComponentChange } from '../src/platform/component-listeners.js';
import { unprocessable } from '../src/platform/errors.js';
import { auditTrail } from './helpers/api-keys.js';
import { catalogRepo } from './helpers/catalog-repos.js';
import { shopWithConfigRepo } from './helpers/config-repos.js';
import { type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { gitSync } from './helpers/git-servers.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

/** A component-aware v4 stack with a form, and a v2 stack without one (one per environment). */
const STACK_FILES: Record<string, string> = {
  'web/.cycloid.yml': `version: '4'
name: Web
canonical: stack-web
description: A web server
author: Gantry
config:
  default:
    name: Default
    description: The default use case
    pipeline:
      pipeline:
        path: pipeline/pipeline.yml
      variables:
        path: pipeline/variables.sample.yml
        destination: '($ .config_root $)/pipeline/variables.yml'
    terraform:
      main:
        path: terraform/main.tf.sample
        destination: '($ .config_root $)/terraform/main.tf'
`,
  'web/.forms.yml': `use_cases:
- name: default
  sections:
  - name: App
    groups:
    - name: Settings
      technologies: [pipeline]
      vars:
      - name: Message
        key: message
        widget: simple_text
        type: string
        required: true
      - name: Replicas
        key: replicas
        widget: number
        type: integer
        default: 1
`,
  'web/pipeline/pipeline.yml': 'jobs: []\n',
  'web/pipeline/variables.sample.yml': '# Variables of ($ .component $)\nmessage: hello\n',
  'web/terraform/main.tf.sample': '# root ($ .config_root $)\n',
  'legacy/.cycloid.yml': `version: '2'
name: Legacy
canonical: stack-legacy
description: An environment-wide stack
author: Gantry
config:
  default:
    name: Default
    description: The default use case
    pipeline:
      pipeline:
        path: pipeline/pipeline.yml
      variables:
        path: pipeline/variables.sample.yml
        destination: '($ project $)/pipeline/variables-($ environment $).yml'
`,
  'legacy/pipeline/pipeline.yml': 'jobs: []\n',
  'legacy/pipeline/variables.sample.yml': 'env: ($ environment $)\n',
};

/**
 * A module following components as pipelines or quotas would: it refuses a change whose message is
 * 'over quota' before anything happens, fails inside the transaction on 'fail in transaction', and
 * records the rest. Listeners are per process: it only looks at its own organization's changes.
 */
function listenerProbe(organization: () => number | undefined) {
  const seen: Array<[string, ComponentChange]> = [];
  const message = (c: ComponentChange) => (c.vars as any)?.App?.Settings?.message;
  const module = {
    name: 'component-listener-probe',
    operations: {},
    componentListeners: [
      {
        name: 'probe',
        async check(_db: unknown, change: ComponentChange) {
          if (change.organizationId !== organization()) return;
          seen.push(['check', change]);
          if (message(change) === 'over quota') throw unprocessable('quota: the environment has no room for it');
        },
        async changed(_db: unknown, change: ComponentChange) {
          if (change.organizationId !== organization()) return;
          if (message(change) === 'fail in transaction') throw new Error('probe failed in the transaction');
          seen.push(['changed', change]);
        },
      },
    ],
  };
  return { module, seen };
}

for (const engine of testEngines()) {
  describe(`components (${engine})`, () => {
    const probe = listenerProbe(() => org?.id);
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { org: TestOrg; token: string };
    let configRepo: string;
    let root: string;
    const env = (e: string, suffix = '', o = org) =>
      `/organizations/${o.canonical}/projects/shop/environments/${e}/components${suffix}`;
    const commits = () => Number(gitSync(['rev-list', '--count', 'main'], configRepo).trim());
    const show = (path: string) => gitSync(['show', `main:${path}`], configRepo);
    const create = (e: string, body: Record<string, unknown>) =>
      server.request('POST', env(e), { token, body: { use_case: 'default', ...body } });
    const webVars = (message: unknown, replicas: unknown = 3) => ({ App: { Settings: { message, replicas } } });
    const rowCount = async () =>
      Number(
        (
          await server.database.db
            .selectFrom('components')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    before(async () => {
      server = await startServer(engine, {
        env: { GANTRY_GIT_ALLOW_LOCAL: 'true' },
        app: { extraModules: () => [probe.module] },
      });
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
      root = mkdtempSync(join(tmpdir(), 'gantry-components-'));
      const post = async (path: string, body: Record<string, unknown>) => {
        const res = await server.request('POST', `/organizations/${org.canonical}${path}`, { token, body });
        assert.equal(res.status, 200, res.text);
      };
      ({ configRepo } = await shopWithConfigRepo(server, org, token, ['prod', 'staging']));
      const url = catalogRepo(root, 'stacks', { main: { files: STACK_FILES } });
      await post('/service_catalog_sources', { name: 'Stacks', url, branch: 'main', visibility: 'local' });
    });
    after(async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('createComponent renders the form values into the files and commits them once, by the caller', async () => {
      const before = commits();
      const res = await create('prod', {
        name: 'Web',
        canonical: 'web',
        description: 'Front',
        service_catalog_ref: `${org.canonical}:stack-web`,
        cloud_provider_canonical: 'aws',
        vars: webVars('hi there'),
      });
      assert.equal(res.status, 200, res.text);
      const c = res.body.data;
      assert.equal(c.canonical, 'web');
      assert.equal(c.name, 'Web');
      assert.equal(c.description, 'Front');
      assert.equal(c.use_case, 'default');
      assert.equal(c.environment.canonical, 'prod');
      assert.equal(c.project.canonical, 'shop');
      assert.equal(c.service_catalog.ref, `${org.canonical}:stack-web`);
      assert.equal(c.cloud_provider.canonical, 'aws');
      assert.equal(commits(), before + 1);
      assert.equal(
        gitSync(['log', '-1', '--format=%an <%ae>', 'main'], configRepo).trim(),
        `${admin.username} <${admin.email}>`,
      );
      const variables = show('shop/prod/web/pipeline/variables.yml');
      assert.match(variables, /^# Variables of web$/m);
      assert.match(variables, /^message: hi there$/m);
      assert.match(variables, /^replicas: 3$/m);
      assert.equal(show('shop/prod/web/terraform/main.tf'), '# root shop/prod/web\n');
      const events = await auditTrail(server, org.id);
      assert.ok(
        events.some(
          (e) =>
            e.title === 'organization:project:environment:component:create' &&
            String(e.tags.target).startsWith('project:shop:environment:prod:component:web commit:'),
        ),
      );
    });

    it('getComponent, getComponentConfig and both lists answer what was stored', async () => {
      const one = await server.request('GET', env('prod', '/web'), { token });
      assert.equal(one.status, 200, one.text);
      assert.equal(one.body.data.canonical, 'web');
      const config = await server.request('GET', env('prod', '/web/config'), { token });
      assert.equal(config.status, 200, config.text);
      assert.deepEqual(config.body.data, webVars('hi there'));
      const list = await server.request('GET', env('prod'), { token });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        list.body.data.map((c: any) => c.canonical),
        ['web'],
      );
      const all = await server.request('GET', `/organizations/${org.canonical}/components`, { token });
      assert.equal(all.status, 200, all.text);
      assert.deepEqual(
        all.body.data.map((c: any) => `${c.environment.canonical}/${c.canonical}`),
        ['prod/web'],
      );
    });

    it('bad variables are a 422 naming the key; nothing is committed or written', async () => {
      const before = commits();
      const rows = await rowCount();
      const cases: [unknown, RegExp][] = [
        [{ App: { Settings: { message: 'x', nope: 1 } } }, /nope/],
        [{ App: { Settings: { replicas: 2 } } }, /message/],
        [webVars('x', 'many'), /replicas/],
      ];
      for (const [vars, pattern] of cases) {
        const res = await create('prod', {
          name: 'Api',
          service_catalog_ref: `${org.canonical}:stack-web`,
          vars,
        });
        assert.equal(res.status, 422, res.text);
        assert.match(res.text, pattern);
      }
      const unknownUseCase = await create('prod', {
        name: 'Api',
        service_catalog_ref: `${org.canonical}:stack-web`,
        use_case: 'other',
        vars: webVars('x'),
      });
      assert.equal(unknownUseCase.status, 422, unknownUseCase.text);
      assert.match(unknownUseCase.text, /use_case/);
      const unknownStack = await create('prod', { name: 'Api', service_catalog_ref: `${org.canonical}:nope` });
      assert.equal(unknownStack.status, 422, unknownStack.text);
      assert.match(unknownStack.text, /service_catalog_ref/);
      const update = await server.request('PUT', env('prod', '/web'), {
        token,
        body: { name: 'Web', use_case: 'default', vars: { App: { Settings: { message: 1 } } } },
      });
      assert.equal(update.status, 422, update.text);
      assert.equal(commits(), before);
      assert.equal(await rowCount(), rows);
      assert.deepEqual(
        (await server.request('GET', env('prod', '/web/config'), { token })).body.data,
        webVars('hi there'),
      );
    });

    it('a second component of a v1-v3 stack in one environment is a 409; the same canonical twice is a 409', async () => {
      const ref = `${org.canonical}:stack-legacy`;
      const first = await create('staging', { name: 'Legacy', service_catalog_ref: ref });
      assert.equal(first.status, 200, first.text);
      assert.equal(show('shop/pipeline/variables-staging.yml'), 'env: staging\n');
      const before = commits();
      const second = await create('staging', { name: 'Legacy two', service_catalog_ref: ref });
      assert.equal(second.status, 409, second.text);
      assert.match(second.text, /component-aware/);
      const again = await create('prod', {
        name: 'Web',
        service_catalog_ref: `${org.canonical}:stack-web`,
        vars: webVars('x'),
      });
      assert.equal(again.status, 409, again.text);
      assert.equal(commits(), before);
    });

    it('a stack in use cannot be deleted', async () => {
      const res = await server.request(
        'DELETE',
        `/organizations/${org.canonical}/service_catalogs/${org.canonical}:stack-legacy`,
        {
          token,
        },
      );
      assert.equal(res.status, 409, res.text);
      assert.match(res.text, /component 'legacy'/);
    });

    it('updateComponent re-renders and commits once; the config follows', async () => {
      const before = commits();
      const res = await server.request('PUT', env('prod', '/web'), {
        token,
        body: { name: 'Web front', use_case: 'default', vars: webVars('bye', 5) },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.name, 'Web front');
      assert.equal(res.body.data.description, 'Front');
      assert.equal(commits(), before + 1);
      assert.match(show('shop/prod/web/pipeline/variables.yml'), /^message: bye$/m);
      const config = await server.request('GET', env('prod', '/web/config'), { token });
      assert.deepEqual(config.body.data, webVars('bye', 5));
    });

    it('another organization gets 404 for every component operation', async () => {
      const foreign = (suffix: string) => env('prod', suffix, org);
      for (const [method, path, body] of [
        ['GET', foreign('')],
        ['GET', foreign('/web')],
        ['GET', foreign('/web/config')],
        ['PUT', foreign('/web'), { name: 'x', use_case: 'default' }],
        ['PUT', foreign('/web/migrate'), { destination_environment_canonical: 'staging' }],
        ['DELETE', foreign('/web')],
      ] as [string, string, unknown][]) {
        const res = await server.request(method, path, { token: other.token, body });
        assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      }
      const theirs = await server.request('GET', `/organizations/${other.org.canonical}/components`, {
        token: other.token,
      });
      assert.equal(theirs.status, 200, theirs.text);
      assert.deepEqual(theirs.body.data, []);
    });

    it('migrateComponent moves the component and commits its files at the new place', async () => {
      const missing = await server.request('PUT', env('prod', '/web/migrate'), {
        token,
        body: { destination_environment_canonical: 'nowhere' },
      });
      assert.equal(missing.status, 422, missing.text);
      assert.match(missing.text, /destination_environment_canonical/);
      const before = commits();
      const res = await server.request('PUT', env('prod', '/web/migrate'), {
        token,
        body: { destination_environment_canonical: 'staging', destination_component_canonical: 'web2' },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.environment.canonical, 'staging');
      assert.equal(res.body.data.canonical, 'web2');
      assert.equal(commits(), before + 1);
      assert.match(show('shop/staging/web2/pipeline/variables.yml'), /^message: bye$/m);
      assert.equal((await server.request('GET', env('prod', '/web'), { token })).status, 404);
      assert.equal((await server.request('GET', env('staging', '/web2'), { token })).status, 200);
    });

    it('modules following components are asked before a change and told in its transaction', async () => {
      // Every write so far was asked, then told, with its place and values.
      const actions = probe.seen.map(([step, c]) => `${step} ${c.action} ${c.project}/${c.environment}/${c.component}`);
      assert.ok(actions.includes('check create shop/prod/web'), actions.join('\n'));
      assert.ok(actions.includes('changed create shop/prod/web'));
      assert.ok(actions.includes('changed update shop/prod/web'));
      const moved = probe.seen.find(([step, c]) => step === 'changed' && c.action === 'migrate')![1];
      assert.deepEqual(moved.from, { project: 'shop', environment: 'prod', component: 'web' });
      assert.equal(moved.component, 'web2');
      assert.equal(moved.environment, 'staging');
      assert.equal(typeof moved.componentId, 'number');

      // A refusal before anything happens: 422, no commit, no record.
      const [commitsBefore, rowsBefore] = [commits(), await rowCount()];
      const refused = await create('prod', {
        name: 'Quota',
        service_catalog_ref: `${org.canonical}:stack-web`,
        vars: webVars('over quota'),
      });
      assert.equal(refused.status, 422, refused.text);
      assert.match(refused.text, /quota: the environment has no room/);
      assert.equal(commits(), commitsBefore);
      assert.equal(await rowCount(), rowsBefore);

      // A failure inside the transaction rolls the record back (the commit was made in prepare).
      const failed = await create('prod', {
        name: 'Failing',
        service_catalog_ref: `${org.canonical}:stack-web`,
        vars: webVars('fail in transaction'),
      });
      assert.equal(failed.status, 500, failed.text);
      assert.equal(await rowCount(), rowsBefore);
    });

    it('deleteComponent removes the record; the files stay', async () => {
      const before = commits();
      const res = await server.request('DELETE', env('staging', '/web2'), { token });
      assert.equal(res.status, 204, res.text);
      assert.equal((await server.request('GET', env('staging', '/web2'), { token })).status, 404);
      assert.equal(commits(), before);
      assert.match(show('shop/staging/web2/pipeline/variables.yml'), /message: bye/);
      const deleted = probe.seen.filter(([, c]) => c.action === 'delete').map(([step, c]) => `${step} ${c.component}`);
      assert.deepEqual(deleted, ['check web2', 'changed web2']);
    });
  });
}
