import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { bareOf, catalogRepo } from './helpers/catalog-repos.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { gitSync, missingPrograms } from './helpers/git-servers.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const skip = missingPrograms('git');

/**
 * A small blueprint: `($> <$)` over every kind of file it copies, `($ $)` left for components, two use
 * cases with folders of their own, and files a new stack must not take.
 */
const BLUEPRINT: Record<string, string> = {
  'blueprints/web/.cycloid.yml': `# A blueprint for web stacks (this comment must survive)
version: '4'
name: Web blueprint
canonical: web-blueprint
author: '($> .stack_author <$)'
description: 'Web stack in ($> .scs_canonical <$) for ($> .stack_usecase <$)'
template: true
keywords: [web]
config:
  aws:
    name: AWS
    cloud_provider: aws
    pipeline:
      pipeline:
        path: pipeline/pipeline.yml
      variables:
        path: pipeline/variables.sample.yml
        destination: '($ .project $)/pipeline/($ .environment $)/variables.yml'
    terraform:
      main:
        path: terraform/aws/main.tf
        destination: '($ .project $)/terraform/($ .environment $)/main.tf'
  gcp:
    name: GCP
    cloud_provider: google
    terraform:
      main:
        path: terraform/gcp/main.tf
        destination: '($ .project $)/terraform/($ .environment $)/main.tf'
`,
  'blueprints/web/.forms.yml': `version: "2"
use_cases:
- name: ($> .stack_usecase <$)
  sections:
  - name: Web
    groups:
    - name: Settings
      technologies: [pipeline]
      vars:
      - name: Size
        key: size
        widget: simple_text
        type: string
        default: ($>- if eq .stack_usecase "aws" <$) t3.small($>- else <$) e2-small($>- end <$)
`,
  'blueprints/web/README.md':
    '# ($> .stack_canonical <$)\n\nPath ($> .stack_path <$), API ($> .api_url <$), cred ($> .scs_cred_type <$)/($> .scs_cred_path <$).\n',
  'blueprints/web/pipeline/pipeline.yml': 'jobs:\n- name: deploy-($ .environment $)\n  plan: []\n',
  'blueprints/web/pipeline/variables.sample.yml': 'project: ($ .project $)\nuse_case: ($> .stack_usecase <$)\n',
  'blueprints/web/terraform/provider.tf': '# ($> .stack_usecase <$) provider\n',
  'blueprints/web/terraform/aws/main.tf': 'module "web" { source = "./module" }\n',
  'blueprints/web/terraform/aws/module/main.tf': 'variable "env" { default = "($ .environment $)" }\n',
  'blueprints/web/terraform/gcp/main.tf': 'module "web" {}\n',
  'blueprints/web/terraform/gcp/aws-migration.tf': '# not for aws\n',
  'blueprints/web/docs/notes.txt': 'not copied\n',
  'plain/.cycloid.yml': "version: '4'\nname: Plain\ncanonical: plain\nauthor: Us\nconfig:\n  aws:\n    name: AWS\n",
  'pongo/.cycloid.yml':
    "version: '2'\nname: Pongo\ncanonical: pongo\nauthor: '{{stack_author}}'\ntemplate: true\nconfig:\n  aws:\n    name: AWS\n",
  'broken/.cycloid.yml':
    "version: '4'\nname: Broken\ncanonical: broken\nauthor: Us\ntemplate: true\ndescription: 'x ($> .stack_usecase | no_such_function <$)'\nconfig:\n  aws:\n    name: AWS\n",
  'hostile/.cycloid.yml':
    "version: '4'\nname: Hostile\ncanonical: hostile\nauthor: Us\ntemplate: true\nconfig:\n  aws:\n    name: AWS\n",
  'hostile/README.md': '($> range $i := until 100000000 <$)($> $i <$)($> end <$)\n',
};

const root = mkdtempSync(join(tmpdir(), 'gantry-catalog-create-'));
after(() => rmSync(root, { recursive: true, force: true }));

for (const engine of testEngines()) {
  describe(`stacks written by the API (${engine})`, { skip }, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let blueprintsUrl: string;
    let targetUrl: string;
    const stacks = (suffix = '', o = org) => `/organizations/${o.canonical}/service_catalogs${suffix}`;
    const git = (...args: string[]) => gitSync(['--git-dir', bareOf(targetUrl), ...args]).trim();
    const commits = () => Number(git('rev-list', '--count', 'main'));
    const fileAt = (path: string) => git('show', `main:${path}`);
    const newStack = (body: Record<string, unknown>, as = token) =>
      server.request('POST', stacks(), { token: as, body });
    const fromBlueprint = (ref: string, body: Record<string, unknown>, as = token) =>
      server.request('POST', stacks(`/${ref}/template`), { token: as, body });

    before(async () => {
      server = await startServer(engine, { env: { GANTRY_GIT_ALLOW_LOCAL: 'true' } });
      ({ user: admin, org, token } = await tenant(server));
      blueprintsUrl = catalogRepo(root, `blueprints-${engine}`, { main: { files: BLUEPRINT } });
      targetUrl = catalogRepo(root, `target-${engine}`, {
        main: {
          files: {
            'existing/.cycloid.yml': "version: '4'\nname: Existing\ncanonical: existing\nauthor: Us\nconfig:\n",
            'taken/notes.md': 'a folder that is no stack\n',
          },
        },
      });
      for (const [name, url] of [
        ['Blueprints', blueprintsUrl],
        ['Target', targetUrl],
      ]) {
        const res = await server.request('POST', `/organizations/${org.canonical}/service_catalog_sources`, {
          token,
          body: { name, url, branch: 'main' },
        });
        assert.equal(res.status, 200, res.text);
      }
      const team = await server.request('POST', `/organizations/${org.canonical}/teams`, {
        token,
        body: { name: 'Stack makers', roles_canonical: ['organization-member'] },
      });
      assert.equal(team.status, 200, team.text);
    });
    after(() => server.close());

    it('createServiceCatalog commits <canonical>/.cycloid.yml as the caller and lists the stack', async () => {
      const before = commits();
      const res = await newStack({
        name: 'Shop front',
        canonical: 'shop-front',
        author: 'Web team',
        description: 'The shop, on: yes',
        keywords: ['web', 'no'],
        image: 'https://example.com/shop.png',
        technologies: [{ technology: 'terraform', version: '1.5' }],
        dependencies: [{ ref: `${org.canonical}:existing`, required: true }],
        service_catalog_source_canonical: 'target',
        visibility: 'shared',
        team_canonical: 'stack-makers',
      });
      assert.equal(res.status, 200, res.text);
      const stack = res.body.data;
      assert.equal(stack.ref, `${org.canonical}:shop-front`);
      assert.equal(stack.name, 'Shop front');
      assert.equal(stack.author, 'Web team');
      assert.equal(stack.description, 'The shop, on: yes');
      assert.deepEqual(stack.keywords, ['web', 'no']);
      assert.equal(stack.image, 'https://example.com/shop.png');
      assert.deepEqual(stack.technologies, [{ technology: 'terraform', version: '1.5' }]);
      assert.equal(stack.directory, 'shop-front');
      assert.equal(stack.service_catalog_source_canonical, 'target');
      assert.equal(stack.visibility, 'shared');
      assert.equal(stack.team.canonical, 'stack-makers');
      assert.equal(stack.blueprint, false);

      assert.equal(commits(), before + 1);
      assert.equal(git('log', '-1', '--format=%an <%ae>', 'main'), `${admin.username} <${admin.email}>`);
      assert.deepEqual(git('ls-tree', '-r', '--name-only', 'main', 'shop-front').split('\n'), [
        'shop-front/.cycloid.yml',
      ]);
      const marker = parse(fileAt('shop-front/.cycloid.yml'), { version: '1.1' });
      assert.equal(marker.canonical, 'shop-front');
      assert.equal(marker.version, '4');
      assert.equal(marker.description, 'The shop, on: yes');

      const list = await server.request('GET', stacks('?service_catalog_own=true'), { token });
      assert.ok(list.body.data.some((s: any) => s.ref === `${org.canonical}:shop-front`));
      const read = await server.request('GET', stacks(`/${org.canonical}:shop-front`), { token });
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.data.visibility, 'shared');
    });

    it('a taken canonical or folder is a 409 and commits nothing; bad references are 422s naming the field', async () => {
      const before = commits();
      const base = { author: 'A', description: 'd', keywords: [], service_catalog_source_canonical: 'target' };
      const cases: [Record<string, unknown>, number, RegExp][] = [
        [{ ...base, name: 'Shop front' }, 409, /^canonical: stack 'shop-front' already exists/],
        [{ ...base, name: 'Existing' }, 409, /^canonical: stack 'existing' already exists/],
        [{ ...base, name: 'X', canonical: 'web-blueprint' }, 409, /^canonical: stack 'web-blueprint'/],
        [{ ...base, name: 'Taken' }, 409, /^canonical: folder 'taken\/' already exists in catalog repository 'target'/],
        [{ ...base, name: 'X', service_catalog_source_canonical: 'nope' }, 422, /^service_catalog_source_canonical: /],
        [{ ...base, name: 'X', visibility: 'public' }, 422, /^visibility: /],
        [{ ...base, name: 'X', team_canonical: 'no-team' }, 422, /^team_canonical: /],
        [{ ...base, name: ' ' }, 422, /^name: /],
        [{ ...base, name: 'Long author', author: 'a'.repeat(501) }, 422, /^author: 501 characters; at most 500/],
        [{ ...base, name: 'X', canonical: 'x' }, 400, /canonical/],
      ];
      for (const [body, status, message] of cases) {
        const res = await newStack(body);
        assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.body.errors[0].message, message, JSON.stringify(body));
      }
      assert.equal(commits(), before);
    });

    it('a blueprint renders ($> <$) for the chosen use case, keeps ($ $), and drops the other files', async () => {
      const before = commits();
      const res = await fromBlueprint(`${org.canonical}:web-blueprint`, {
        name: 'Web for AWS',
        canonical: 'web-aws',
        use_case: 'aws',
        author: 'Platform team',
        service_catalog_source_canonical: 'target',
        visibility: 'hidden',
        team_canonical: 'stack-makers',
      });
      assert.equal(res.status, 200, res.text);
      const stack = res.body.data;
      assert.equal(stack.ref, `${org.canonical}:web-aws`);
      assert.equal(stack.name, 'Web for AWS');
      assert.equal(stack.author, 'Platform team');
      assert.equal(stack.description, 'Web stack in target for aws');
      assert.equal(stack.blueprint, false);
      assert.equal(stack.visibility, 'hidden');
      assert.equal(stack.team.canonical, 'stack-makers');
      assert.equal(stack.form_enabled, true);

      assert.equal(commits(), before + 1);
      assert.equal(git('log', '-1', '--format=%an <%ae>', 'main'), `${admin.username} <${admin.email}>`);
      const files = git('ls-tree', '-r', '--name-only', 'main', 'web-aws').split('\n');
      assert.deepEqual(files, [
        'web-aws/.cycloid.yml',
        'web-aws/.forms.yml',
        'web-aws/README.md',
        'web-aws/pipeline/pipeline.yml',
        'web-aws/pipeline/variables.sample.yml',
        'web-aws/terraform/aws/main.tf',
        'web-aws/terraform/aws/module/main.tf',
        'web-aws/terraform/provider.tf',
      ]);
      const markerText = fileAt('web-aws/.cycloid.yml');
      assert.match(markerText, /^# A blueprint for web stacks \(this comment must survive\)/);
      const marker = parse(markerText, { version: '1.1' });
      assert.equal(marker.template, false);
      assert.equal(marker.name, 'Web for AWS');
      assert.equal(marker.canonical, 'web-aws');
      assert.equal(marker.author, 'Platform team');
      assert.equal(marker.config.aws.terraform.main.destination, '($ .project $)/terraform/($ .environment $)/main.tf');
      const forms = parse(fileAt('web-aws/.forms.yml'));
      assert.equal(forms.use_cases[0].name, 'aws');
      assert.equal(forms.use_cases[0].sections[0].groups[0].vars[0].default, 't3.small');
      assert.deepEqual(parse(fileAt('web-aws/pipeline/variables.sample.yml')), {
        project: '($ .project $)',
        use_case: 'aws',
      });
      assert.ok(parse(fileAt('web-aws/pipeline/pipeline.yml')).jobs);
      assert.match(fileAt('web-aws/terraform/aws/module/main.tf'), /default = "\(\$ \.environment \$\)"/);
      assert.match(fileAt('web-aws/README.md'), /^# web-aws\n\nPath web-aws, API http:\/\/\S+, cred \/\.$/);

      const config = await server.request('GET', stacks(`/${org.canonical}:web-aws/config`), { token });
      assert.equal(config.status, 200, config.text);
      assert.deepEqual(Object.keys(config.body.data), ['aws', 'gcp']);
    });

    it('without an author the caller is the stack author', async () => {
      const res = await fromBlueprint(`${org.canonical}:web-blueprint`, {
        name: 'Web for GCP',
        canonical: 'web-gcp',
        use_case: 'gcp',
        service_catalog_source_canonical: 'target',
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.author, admin.username);
      assert.equal(res.body.data.visibility, 'local');
      const files = git('ls-tree', '-r', '--name-only', 'main', 'web-gcp/terraform').split('\n');
      assert.deepEqual(files, [
        'web-gcp/terraform/gcp/aws-migration.tf',
        'web-gcp/terraform/gcp/main.tf',
        'web-gcp/terraform/provider.tf',
      ]);
    });

    it('refuses what cannot make a stack with a 422 (or 409, 404) and commits nothing', async () => {
      const before = commits();
      const body = (extra: Record<string, unknown> = {}) => ({
        name: 'New',
        canonical: 'new-one',
        use_case: 'aws',
        service_catalog_source_canonical: 'target',
        ...extra,
      });
      const cases: [string, Record<string, unknown>, number, RegExp][] = [
        ['plain', body(), 422, /^service_catalog_ref: stack '.*:plain' is not a blueprint/],
        [
          'web-blueprint',
          body({ use_case: 'azure' }),
          422,
          /^use_case: 'azure' is not a use case of blueprint .*\(its use cases: aws, gcp\)/,
        ],
        ['pongo', body(), 422, /^blueprint: \.cycloid\.yml:4:\d+: Jinja\/pongo2 syntax/],
        ['broken', body(), 422, /^blueprint: \.cycloid\.yml:6:\d+: .*no_such_function/],
        ['hostile', body(), 422, /^blueprint: README\.md:1:\d+: .*exceeded the step budget.*shared by all/],
        ['web-blueprint', body({ canonical: 'shop-front' }), 409, /^canonical: stack 'shop-front' already exists/],
        ['web-blueprint', body({ canonical: 'taken' }), 409, /^canonical: folder 'taken\/' already exists/],
        [
          'web-blueprint',
          body({ service_catalog_source_canonical: 'nope' }),
          422,
          /^service_catalog_source_canonical: /,
        ],
        ['no-such-stack', body(), 404, /no-such-stack/],
      ];
      for (const [canonical, payload, status, message] of cases) {
        const res = await fromBlueprint(`${org.canonical}:${canonical}`, payload);
        assert.equal(res.status, status, `${canonical} ${JSON.stringify(payload)}: ${res.text}`);
        assert.match(res.body.errors[0].message, message, canonical);
      }
      assert.equal(commits(), before);
    });

    it("another organization's token gets 404; a role without organization:service_catalog:create gets 403", async () => {
      const before = commits();
      const other = await tenant(server);
      const stackBody = {
        name: 'Intruder',
        author: 'x',
        description: 'x',
        keywords: [],
        service_catalog_source_canonical: 'target',
      };
      const templateBody = {
        name: 'Intruder',
        canonical: 'intruder',
        use_case: 'aws',
        service_catalog_source_canonical: 'target',
      };
      const a = await newStack(stackBody, other.token);
      assert.equal(a.status, 404, a.text);
      const b = await fromBlueprint(`${org.canonical}:web-blueprint`, templateBody, other.token);
      assert.equal(b.status, 404, b.text);

      const member: TestUser = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      const memberToken = sessionToken(server, member);
      const c = await newStack(stackBody, memberToken);
      assert.equal(c.status, 403, c.text);
      const d = await fromBlueprint(`${org.canonical}:web-blueprint`, templateBody, memberToken);
      assert.equal(d.status, 403, d.text);
      assert.equal(commits(), before);
    });
  });
}
