// Components and their stack's rendering: getServiceCatalogConfig for an existing component shows in
// each form var's `current` what the component holds, and a var written to several technologies whose
// files were edited apart lists its values in `mismatch_values` instead (docs/stackforms.md); component
// files get the remote-state backend's token (`inventory_jwt`) as interpolateFormsConfig does.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeApiKey } from './helpers/api-keys.js';
import { catalogRepo, commitFiles } from './helpers/catalog-repos.js';
import { shopRemoteState, shopWithConfigRepo } from './helpers/config-repos.js';
import { type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { gitSync } from './helpers/git-servers.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const STACK_FILES: Record<string, string> = {
  'web/.cycloid.yml': `version: '4'
name: Web
canonical: stack-web
config:
  default:
    name: Default
    pipeline:
      pipeline: {path: pipeline/pipeline.yml}
      variables: {path: pipeline/variables.sample.yml, destination: '($ .config_root $)/pipeline/variables.yml'}
    terraform:
      main: {path: terraform/main.tf.sample, destination: '($ .config_root $)/terraform/main.tf'}
`,
  'web/.forms.yml': `use_cases:
- name: default
  sections:
  - name: App
    groups:
    - name: Settings
      technologies: [pipeline]
      vars:
      - {name: Message, key: message, widget: simple_text, type: string, default: hello}
      - {name: Untouched, key: untouched, widget: simple_text, type: string, default: same}
    - name: Sizing
      technologies: [pipeline, terraform]
      vars:
      - {name: Size, key: size, widget: simple_text, type: string, default: small}
      - {name: Ports, key: ports, widget: text_area, type: array, default: [80]}
`,
  'web/pipeline/pipeline.yml': 'jobs: []\n',
  'web/pipeline/variables.sample.yml': 'message: x\n',
  'web/terraform/main.tf.sample': 'variable "size" {\n  default = "small"\n}\n',
  'state/.cycloid.yml': `version: '4'
name: State
canonical: stack-state
config:
  default:
    name: Default
    pipeline:
      pipeline: {path: pipeline.yml}
      variables: {path: variables.yml, destination: '($ .config_root $)/variables.yml'}
`,
  'state/pipeline.yml': 'jobs: []\n',
  'state/variables.yml': 'state_token: ($ .inventory_jwt $)\n',
};

const byKey = (config: any) =>
  Object.fromEntries(
    config.forms.sections.flatMap((s: any) => s.groups.flatMap((g: any) => g.vars.map((v: any) => [v.key, v]))),
  );

for (const engine of testEngines()) {
  describe(`components and their stack's rendering (${engine})`, () => {
    let server: TestServer;
    let user: TestUser;
    let org: TestOrg;
    let token: string;
    let configRepo: string;
    let root: string;
    const config = (query: string, as = token) =>
      server.request(
        'GET',
        `/organizations/${org.canonical}/service_catalogs/${org.canonical}:stack-web/config?${query}`,
        {
          token: as,
        },
      );
    const place = 'project_canonical=shop&environment_canonical=prod&component_canonical=web';

    before(async () => {
      server = await startServer(engine, { env: { GANTRY_GIT_ALLOW_LOCAL: 'true' } });
      ({ user, org, token } = await tenant(server));
      root = mkdtempSync(join(tmpdir(), 'gantry-current-'));
      const post = async (path: string, body: Record<string, unknown>) => {
        const res = await server.request('POST', `/organizations/${org.canonical}${path}`, { token, body });
        assert.equal(res.status, 200, res.text);
      };
      ({ configRepo } = await shopWithConfigRepo(server, org, token));
      const url = catalogRepo(root, 'stacks', { main: { files: STACK_FILES } });
      await post('/service_catalog_sources', { name: 'Stacks', url, branch: 'main', visibility: 'local' });
      await post('/projects/shop/environments/prod/components', {
        name: 'web',
        service_catalog_ref: `${org.canonical}:stack-web`,
        use_case: 'default',
        vars: {
          App: { Settings: { message: 'hi there', untouched: 'same' }, Sizing: { size: 'large', ports: [80, 443] } },
        },
      });
    });
    after(async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('each var shows the value the component holds', async () => {
      const res = await config(place);
      assert.equal(res.status, 200, res.text);
      const vars = byKey(res.body.data.default);
      assert.equal(vars.message.current, 'hi there');
      assert.equal(vars.size.current, 'large');
      assert.deepEqual(vars.ports.current, [80, 443]);
      for (const v of Object.values<any>(vars)) assert.equal(v.mismatch_values, undefined, v.key);
      // The same with the use case named, and in what interpolateFormsConfig answers for the component.
      const one = await config(`use_case=default&${place}`);
      assert.equal(byKey(one.body.data.default).size.current, 'large');
      const interpolated = await server.request(
        'POST',
        `/organizations/${org.canonical}/projects/shop/environments/prod/forms/config`,
        {
          token,
          body: {
            service_catalog_ref: `${org.canonical}:stack-web`,
            use_case: 'default',
            component_canonical: 'web',
            vars: {},
          },
        },
      );
      assert.equal(interpolated.status, 200, interpolated.text);
      assert.equal(byKey(interpolated.body.data).message.current, 'hi there');
    });

    it('files edited apart: the var lists every value and has no current', async () => {
      commitFiles(configRepo, 'main', {
        'shop/prod/web/terraform/main.tf':
          'variable "size" {\n  default = "huge"\n}\nvariable "ports" {\n  default = [80, 443]\n}\n',
      });
      const res = await config(place);
      assert.equal(res.status, 200, res.text);
      const vars = byKey(res.body.data.default);
      assert.deepEqual(vars.size.mismatch_values, ['large', 'huge']);
      assert.equal(vars.size.current, undefined);
      // Equal values in both technologies are one value.
      assert.deepEqual(vars.ports.current, [80, 443]);
      assert.equal(vars.ports.mismatch_values, undefined);
      assert.equal(vars.message.current, 'hi there');
    });

    it('component files get the remote-state backend token, as interpolateFormsConfig does', async () => {
      const create = () =>
        server.request('POST', `/organizations/${org.canonical}/projects/shop/environments/prod/components`, {
          token,
          body: { name: 'state', service_catalog_ref: `${org.canonical}:stack-state`, use_case: 'default' },
        });
      // Without a backend the template cannot be rendered: a 422 naming the file.
      const refused = await create();
      assert.equal(refused.status, 422, refused.text);
      assert.match(refused.body.errors[0].message, /variables\.yml.*inventory_jwt/);
      await shopRemoteState(server, org, token);
      const res = await create();
      assert.equal(res.status, 200, res.text);
      const file = gitSync(['show', 'main:shop/prod/state/variables.yml'], configRepo);
      assert.match(file, /^state_token: [\w-]+\.[\w-]+\.[\w-]+\n$/);
    });

    it('no current without an existing component the caller may read', async () => {
      const none = (data: any) => Object.values<any>(byKey(data.default)).every((v) => v.current === undefined);
      // No component in the query, or one that does not exist.
      assert.ok(none((await config('project_canonical=shop&environment_canonical=prod')).body.data));
      const missing = await config('project_canonical=shop&environment_canonical=prod&component_canonical=nope');
      assert.equal(missing.status, 200, missing.text);
      assert.ok(none(missing.body.data));
      // A key that may read stacks but not the project's components sees the form without values.
      const key = await makeApiKey(server, org, user, {
        rules: [{ action: 'organization:service_catalog:read', resources: [] }],
      });
      const res = await config(place, key.token);
      assert.equal(res.status, 200, res.text);
      assert.ok(none(res.body.data));
    });
  });
}
