// The catalog's promise for self-service: every use case of every fixture stack, rendered with its
// form's defaults, gives a pipeline that parses as YAML with `jobs`, and each `((var))` it uses is
// defined by the rendered variables file or names a credential. Findings are listed, not hidden.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { interpolate, loadFormsText, validateForms } from '../src/engines/forms/index.js';
import { renderStackFile } from '../src/engines/stacktpl/index.js';
import { linearRegExp } from '../src/platform/text/linear-regexp.js';
import { FIXTURE_CONTEXT, FIXTURES, formsFixtures } from './engines/forms-fixtures.js';
import { catalogRepo } from './helpers/catalog-repos.js';
import { shopRemoteState } from './helpers/config-repos.js';
import { type TestOrg, tenant } from './helpers/factories.js';
import { missingPrograms } from './helpers/git-servers.js';
import { insertProjects } from './helpers/projects.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const fixtures = formsFixtures();

/** `((name))` and `((name.field))` uses of a Concourse pipeline; `((.:local))` are load_var values. */
const VAR_USE = /\(\(\s*([^()\s]+?)\s*\)\)/g;

export interface PipelineCheck {
  useCase: string;
  /** Problems that make the use case unusable with its defaults (required values, no jobs, bad YAML). */
  problems: string[];
  /** `((var))` names neither in the variables file nor credential-like (`name.field`). */
  undefinedVars: string[];
}

function pipelinePath(formsLabel: string, useCase: string): { dir: string; path?: string } {
  const dir = dirname(join(FIXTURES, formsLabel));
  const doc = parseYaml(readFileSync(join(dir, '.cycloid.yml'), 'utf8'), { version: '1.1' }) as {
    config?: Record<string, any>;
  };
  const config = doc.config ?? {};
  const legacy = 'pipeline' in config;
  const uc = legacy ? config : config[useCase];
  return { dir, path: uc?.pipeline?.pipeline?.path };
}

/** Top-level keys a YAML text defines (an empty or comment-only file defines none). */
function topKeys(text: string): Set<string> {
  const doc = parseYaml(text, { version: '1.1', merge: true, uniqueKeys: false }) as unknown;
  return new Set(doc && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc) : []);
}

function checkUseCase(fx: (typeof fixtures)[number], forms: ReturnType<typeof validateForms>['forms'], name: string) {
  const out: PipelineCheck = { useCase: name, problems: [], undefinedVars: [] };
  const context = { ...FIXTURE_CONTEXT, useCase: name };
  const r = interpolate(
    forms,
    name,
    {},
    {
      samples: fx.useCases.get(name)!,
      compileRegExp: linearRegExp,
      template: { stackVersion: fx.stackVersion, context },
    },
  );
  if (r.errors.length > 0) {
    out.problems.push(...r.errors);
    return out;
  }
  const { dir, path } = pipelinePath(fx.label, name);
  const full = path ? join(dir, path) : undefined;
  if (!full || !existsSync(full)) {
    out.problems.push(`pipeline file ${path ?? '(none)'} missing`);
    return out;
  }
  const pipeline = renderStackFile(readFileSync(full, 'utf8'), {
    version: fx.stackVersion,
    context,
    name: path!,
  }).output;
  let doc: unknown;
  try {
    doc = parseYaml(pipeline, { version: '1.1', merge: true, uniqueKeys: false, maxAliasCount: -1 });
  } catch (e) {
    out.problems.push(`pipeline does not parse: ${(e as Error).message.split('\n')[0]}`);
    return out;
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { jobs?: unknown }).jobs)) {
    out.problems.push('pipeline has no jobs list');
  }
  const defined = topKeys(r.files.variables);
  const seen = new Set<string>();
  for (const m of pipeline.matchAll(VAR_USE)) {
    const used = m[1]!;
    if (seen.has(used)) continue;
    seen.add(used);
    // `.:x` is a load_var value; `a.b` reads field b of credential a (Concourse's credential path).
    if (used.startsWith('.:') || used.includes('.')) continue;
    if (!defined.has(used)) out.undefinedVars.push(used);
  }
  return out;
}

/** What each fixture gives, in the order of the fixture list: the docs quote this. */
export function fixtureFindings(): Map<string, PipelineCheck[]> {
  const findings = new Map<string, PipelineCheck[]>();
  for (const fx of fixtures) {
    const loaded = loadFormsText(fx.text, { stackVersion: fx.stackVersion, context: FIXTURE_CONTEXT, name: fx.label });
    const { forms } = validateForms(loaded.file, { compileRegExp: linearRegExp });
    const checks = forms.use_cases
      .filter((uc) => fx.useCases.has(uc.name))
      .map((uc) => checkUseCase(fx, forms, uc.name));
    findings.set(fx.label, checks);
  }
  return findings;
}

/**
 * What the fixtures reveal (docs/stackforms.md, "What the fixture stacks reveal"): use cases whose
 * form has required values without a default (the user must give them), one default that is not HCL,
 * and pipelines using `((vars))` the form declares only under a `cycloid-common` use case (a name no
 * `.cycloid.yml` has) or not at all.
 */
const KNOWN_FINDINGS = [
  '2023/infra-amazon-elk/.forms.yml default: required vpc_id',
  '2023/infra-amazon-s3/.forms.yml default: required bucket_name',
  '2023/stack-compute/.forms.yml azure-linux: required module.vm.os_admin_username, module.vm.os_admin_password',
  '2023/stack-cycloid-worker/.forms.yml aws: undefined config_git_username, config_git_token',
  '2023/stack-cycloid-worker/.forms.yml azure: undefined config_git_username, config_git_token',
  '2023/stack-cycloid-worker/.forms.yml gcp: undefined config_git_username, config_git_token',
  '2023/stack-getting-started/.forms.yml aws: required git_repository',
  '2023/stack-getting-started/.forms.yml azure: required git_repository, subnet_id',
  '2023/stack-getting-started/.forms.yml gcp: required git_repository',
  '2023/stack-kubernetes/.forms.yml gcp-gke: not HCL module.gke.node_pools',
  '2023/stack-lemp/.forms.yml default: required vpc_id',
  '2023/stack-magento/.forms.yml default: required vpc_id, magento_ssl_cert',
  '2025/stack-compute/.forms.yml azure-linux: required os_admin_password',
  '2025/stack-dockerbuild/.forms.yml default: undefined code_build_context, registry_image_name, registry_tag, registry_username, registry_password, aws_access_key, aws_secret_key, aws_region, code_build_args, registry_extra_tags, registry_tag_commit_id, registry_tag_describe_ref, registry_tag_custom_script, code_dockerfile_location',
  '2025/stack-dockerbuild/.forms.yml github-pr: undefined code_build_context, code_build_args, registry_extra_tags, registry_tag_commit_id, registry_tag_describe_ref, registry_tag_custom_script, code_dockerfile_location, registry_tag, registry_image_name',
  '2025/stack-getting-started/.forms.yml azure: required subnet_id',
  '2025/stack-k8s-runner/.forms.yml default_terraform: undefined terraform_extra_vars',
  '2025/stack-k8s-runner/.forms.yml eks_terraform: undefined terraform_extra_vars',
  '2025/stack-k8s-runner/.forms.yml gke_terraform: undefined terraform_extra_vars',
  '2025/stack-terraform-runner/.forms.yml default: undefined terraform_version, terraform_modules_private_key, git_repository, git_branch, git_private_key, git_terraform_path',
  '2025/stack-terraform-runner/.forms.yml azure: undefined terraform_version, terraform_modules_private_key, azure_location, git_repository, git_branch, git_private_key, git_terraform_path',
  '2025/stack-terraform-runner/.forms.yml gcp: undefined terraform_version, terraform_modules_private_key, git_repository, git_branch, git_private_key, git_terraform_path',
];

/** One line per problem kind, short enough to compare. */
function summarize(label: string, c: PipelineCheck): string[] {
  const lines: string[] = [];
  const required = c.problems.flatMap((p) => /key "([^"]+)": a value is required$/.exec(p)?.[1] ?? []);
  const notHcl = c.problems.flatMap((p) => /key "([^"]+)": not an HCL expression/.exec(p)?.[1] ?? []);
  const other = c.problems.filter((p) => !/a value is required$|not an HCL expression/.test(p));
  if (required.length > 0) lines.push(`${label} ${c.useCase}: required ${required.join(', ')}`);
  if (notHcl.length > 0) lines.push(`${label} ${c.useCase}: not HCL ${notHcl.join(', ')}`);
  if (other.length > 0) lines.push(`${label} ${c.useCase}: ${other.join('; ')}`);
  if (c.undefinedVars.length > 0) lines.push(`${label} ${c.useCase}: undefined ${c.undefinedVars.join(', ')}`);
  return lines;
}

describe('interpolated fixture pipelines', { skip: fixtures.length === 0 ? 'no fixture stacks' : false }, () => {
  it('every use case of every fixture renders a pipeline with jobs whose ((vars)) are defined, but the known findings', () => {
    const started = performance.now();
    const findings = fixtureFindings();
    const elapsed = performance.now() - started;
    const report: string[] = [];
    let useCases = 0;
    for (const [label, checks] of findings) {
      for (const c of checks) {
        useCases++;
        report.push(...summarize(label, c));
      }
    }
    console.log(`${findings.size} forms files, ${useCases} use cases, ${elapsed.toFixed(0)} ms`);
    assert.ok(findings.size >= 30, `${findings.size} forms files`);
    assert.ok(useCases >= 59, `${useCases} use cases`);
    assert.deepEqual(report, KNOWN_FINDINGS);
  });
});

/** Use cases of the 2025 fixtures the form's defaults cannot render (values the user must give). */
const NEEDS_VALUES_2025: Record<string, string> = {
  'stack-compute azure-linux': 'os_admin_password',
  'stack-getting-started azure': 'subnet_id',
};

for (const engine of testEngines()) {
  describe(`interpolateFormsConfig over HTTP (${engine})`, { skip: missingPrograms('git') }, () => {
    let server: TestServer;
    let org: TestOrg;
    let token: string;
    let other: { org: TestOrg; token: string };
    let root: string;
    let stacks: any[];
    const formsConfig = (body: Record<string, unknown>, path = 'shop/environments/prod', as = token) =>
      server.request('POST', `/organizations/${org.canonical}/projects/${path}/forms/config`, { token: as, body });

    before(async () => {
      server = await startServer(engine, { env: { GANTRY_GIT_ALLOW_LOCAL: 'true' } });
      ({ org, token } = await tenant(server));
      other = await tenant(server);
      root = mkdtempSync(join(tmpdir(), 'gantry-forms-'));
      const url = catalogRepo(root, 'stacks-2025', {
        main: {
          copy: join(FIXTURES, '2025'),
          files: {
            'broken-forms/.cycloid.yml':
              "version: '4'\ncanonical: broken-forms\nname: Broken forms\nconfig:\n  default:\n    name: Default\n    pipeline:\n      pipeline: {path: pipeline.yml}\n      variables: {path: variables.yml}\n",
            'broken-forms/.forms.yml': 'use_cases:\n- name: default\n  sections: 5\n',
            'broken-forms/pipeline.yml': 'jobs: []\n',
            'broken-forms/variables.yml': '# nothing\n',
          },
        },
      });
      const res = await server.request('POST', `/organizations/${org.canonical}/service_catalog_sources`, {
        token,
        body: { name: 'Stacks 2025', url, branch: 'main' },
      });
      assert.equal(res.status, 200, res.text);
      stacks = res.body.data.service_catalogs;
      await insertProjects(server, org, { shop: ['prod'] });
      // Most pipelines hand Terraform the remote-state backend's token (`inventory_jwt`).
      await shopRemoteState(server, org, token);
    });
    after(async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('lists form-enabled stacks and returns their forms in getServiceCatalogConfig', async () => {
      const withForms = stacks.filter((s) => s.form_enabled);
      assert.ok(withForms.length >= 5, `${withForms.length} stacks with forms`);
      const res = await server.request(
        'GET',
        `/organizations/${org.canonical}/service_catalogs/${org.canonical}:stack-compute/config`,
        { token },
      );
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data['aws-ec2'].forms.name, 'aws-ec2');
      assert.ok(res.body.data['aws-ec2'].forms.sections.length > 0);
    });

    it('a stack whose forms file is broken is listed, not form-enabled, and has no form to render', async () => {
      const broken = stacks.find((s) => s.canonical === 'broken-forms');
      assert.ok(broken, 'listed');
      assert.equal(broken.form_enabled, false);
      const config = await server.request(
        'GET',
        `/organizations/${org.canonical}/service_catalogs/${broken.ref}/config`,
        { token },
      );
      assert.equal(config.status, 200, config.text);
      assert.equal(config.body.data.default.forms, undefined);
      const res = await formsConfig({
        service_catalog_ref: broken.ref,
        use_case: 'default',
        component_canonical: 'web',
        vars: {},
      });
      assert.equal(res.status, 422, res.text);
      // The reason is said: the forms file fails, and how.
      assert.match(
        res.body.errors[0].message,
        /^use_case: .* has no usable form for 'default': its \.forms\.yml cannot be used here: /,
      );
    });

    it('renders every use case of every form-enabled stack with the defaults: a pipeline with jobs', async () => {
      let rendered = 0;
      let slowest = 0;
      for (const stack of stacks.filter((s) => s.form_enabled)) {
        const config = await server.request(
          'GET',
          `/organizations/${org.canonical}/service_catalogs/${stack.ref}/config`,
          { token },
        );
        for (const [useCase, uc] of Object.entries<any>(config.body.data)) {
          if (!uc.forms) continue;
          const started = performance.now();
          const res = await formsConfig({
            service_catalog_ref: stack.ref,
            use_case: useCase,
            component_canonical: 'web',
            vars: {},
          });
          slowest = Math.max(slowest, performance.now() - started);
          const needs = NEEDS_VALUES_2025[`${stack.canonical} ${useCase}`];
          if (needs) {
            assert.equal(res.status, 422, res.text);
            assert.match(res.body.errors[0].message, new RegExp(`"${needs}": a value is required`));
            continue;
          }
          assert.equal(res.status, 200, `${stack.ref} ${useCase}: ${res.text}`);
          const pipeline = parseYaml(res.body.data.pipeline.pipeline.content, {
            version: '1.1',
            merge: true,
            uniqueKeys: false,
            maxAliasCount: -1,
          });
          assert.ok(Array.isArray(pipeline.jobs), `${stack.ref} ${useCase}: jobs`);
          assert.ok(
            !res.body.data.pipeline.variables.destination.includes('($'),
            `${stack.ref} ${useCase}: destination`,
          );
          rendered++;
        }
      }
      console.log(`${rendered} use cases rendered over HTTP, slowest ${slowest.toFixed(0)} ms`);
      assert.ok(rendered >= 10, `${rendered} rendered`);
    });

    it('writes given values into the samples, and refuses bad input naming the key', async () => {
      const base = {
        service_catalog_ref: `${org.canonical}:stack-compute`,
        use_case: 'aws-ec2',
        component_canonical: 'web',
      };
      const config = await server.request(
        'GET',
        `/organizations/${org.canonical}/service_catalogs/${org.canonical}:stack-compute/config?use_case=aws-ec2`,
        { token },
      );
      const placed = await formsConfig({
        ...base,
        vars: {
          'Cloud provider': { Terraform: { aws_default_region: 'us-east-1' } },
          Instance: { 'OS image': { 'module.vm.ami_most_recent': false } },
        },
      });
      assert.equal(placed.status, 200, placed.text);
      const data = placed.body.data;
      assert.equal(data.pipeline.variables.destination, 'shop/prod/web/pipeline/variables.yml');
      const variables = parseYaml(data.pipeline.variables.content, { version: '1.1' });
      assert.equal(variables.aws_default_region, 'us-east-1');
      // Defaults are written too, rendered for the place: the organization's canonical.
      assert.equal(variables.terraform_storage_bucket_name, `${org.canonical}-terraform-remote-state`);
      const tf = Object.values<any>(data.terraform)
        .map((t) => t.content)
        .join('\n');
      assert.match(tf, /ami_most_recent\s*=\s*false/);
      assert.equal(data.forms.name, 'aws-ec2');

      const section = config.body.data['aws-ec2'].forms.sections[0];
      const group = section.groups[0];
      const unknown = await formsConfig({ ...base, vars: { [section.name]: { [group.name]: { no_such_key: 1 } } } });
      assert.equal(unknown.status, 422, unknown.text);
      assert.match(unknown.body.errors[0].message, /no_such_key/);

      for (const [body, status, pattern] of [
        [{ ...base, service_catalog_ref: 'nope' }, 422, /service_catalog_ref/],
        [{ ...base, service_catalog_ref: `${org.canonical}:nope` }, 404, /stack/],
        [{ ...base, use_case: 'nope' }, 422, /use_case/],
      ] as const) {
        const res = await formsConfig({ ...body, vars: {} });
        assert.equal(res.status, status, res.text);
        assert.match(res.body.errors[0].message, pattern);
      }
      const noEnv = await formsConfig({ ...base, vars: {} }, 'shop/environments/staging');
      assert.equal(noEnv.status, 404, noEnv.text);
      const noProject = await formsConfig({ ...base, vars: {} }, 'nope/environments/prod');
      assert.equal(noProject.status, 404, noProject.text);
      const foreign = await formsConfig({ ...base, vars: {} }, 'shop/environments/prod', other.token);
      assert.equal(foreign.status, 404, foreign.text);
    });
  });
}
