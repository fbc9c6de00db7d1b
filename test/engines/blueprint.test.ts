import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BLUEPRINT_LIMITS,
  BlueprintError,
  type BlueprintVariables,
  blueprintFiles,
  jinjaDialect,
  renderBlueprint,
} from '../../src/engines/stacks/index.js';

const VARIABLES: BlueprintVariables = {
  stack_usecase: 'aws',
  stack_author: 'Ops',
  stack_canonical: 'new',
  stack_path: 'new',
  scs_canonical: 'stacks',
  scs_cred_path: 'git-key',
  scs_cred_type: 'ssh',
  api_url: 'https://gantry.example.com',
};
const file = (path: string, text: string | Buffer) => ({ path, content: Buffer.from(text) });
const rename = { name: 'New', canonical: 'new' };

describe('blueprints (engine)', () => {
  it('selects the marker, forms, README, files directly in technology folders and folders named after the use case', () => {
    const paths = [
      '.cycloid.yml',
      '.cycloid.yaml',
      '.forms.yml',
      'README.md',
      'LICENSE',
      'docs/aws/notes.md',
      'pipeline/pipeline.yml',
      'pipeline/extra/x.yml',
      'terraform/main.tf',
      'terraform/aws/main.tf',
      'terraform/aws/module/vpc.tf',
      'terraform/gcp/aws-migration.tf',
      'terraform/awsx/main.tf',
      'ansible/site.yml',
    ];
    assert.deepEqual(blueprintFiles(paths, 'aws'), [
      '.cycloid.yml',
      '.forms.yml',
      'README.md',
      'ansible/site.yml',
      'docs/aws/notes.md',
      'pipeline/pipeline.yml',
      'terraform/aws/main.tf',
      'terraform/aws/module/vpc.tf',
      'terraform/main.tf',
    ]);
    assert.deepEqual(blueprintFiles(['.cycloid.yaml', 'x'], 'aws'), ['.cycloid.yaml']);
  });

  it('finds the Jinja dialect with its line and column, and leaves ($ $), ($> <$) and Ansible alone', () => {
    assert.deepEqual(jinjaDialect("a: 1\nauthor: '{{stack_author}}'\n"), { line: 2, column: 9 });
    assert.deepEqual(jinjaDialect('x\n  {%- if stack_usecase == "aws" %}\n'), { line: 2, column: 2 });
    assert.equal(jinjaDialect("a: '($> .stack_author <$)' b: ($ .project $) c: '{{ ansible_host }}'"), undefined);
  });

  it('renders every text file, copies binary ones, renames the marker and keeps its comments', () => {
    const out = renderBlueprint(
      [
        file(
          '.cycloid.yml',
          "# keep me\nname: Old # inline\ncanonical: old\nauthor: '($> .stack_author <$)'\ntemplate: true\n",
        ),
        file('README.md', '($> .api_url <$) ($> .scs_cred_type <$):($> .scs_cred_path <$) ($ .project $)'),
        file('terraform/logo.png', Buffer.from([0x89, 0x50, 0, 0x28, 0x24, 0x3e])),
      ],
      VARIABLES,
      rename,
    );
    assert.equal(
      out[0]!.content.toString(),
      "# keep me\nname: New # inline\ncanonical: new\nauthor: 'Ops'\ntemplate: false\n",
    );
    assert.equal(out[1]!.content.toString(), 'https://gantry.example.com ssh:git-key ($ .project $)');
    assert.deepEqual([...out[2]!.content], [0x89, 0x50, 0, 0x28, 0x24, 0x3e]);
  });

  it('names the file, line and column of a render error (unset variables: empty, with a warning), and shares one budget among all files', () => {
    assert.throws(
      () => renderBlueprint([file('a.tf', 'x\n ($> if <$)')], VARIABLES, rename),
      (e: Error) => e instanceof BlueprintError && /^a\.tf:2:\d+: /.test(e.message),
    );
    // An unset variable renders empty, as in stack templates, with a warning naming where it is.
    const warnings: string[] = [];
    const [out] = renderBlueprint([file('a.tf', 'x\n [($> .nope <$)]')], VARIABLES, rename, { warnings });
    assert.equal(out!.content.toString(), 'x\n []');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^a\.tf:2:\d+: .*nope/);
    assert.throws(
      () => renderBlueprint([file('.forms.yml', '{% if x %}')], VARIABLES, rename),
      (e: Error) => e instanceof BlueprintError && /^\.forms\.yml:1:0: Jinja/.test(e.message),
    );
    // Each file alone fits the budget; together they do not.
    const loop = '($> range $i := until 300 <$)($> $i <$)($> end <$)';
    const limits = { ...BLUEPRINT_LIMITS, budgets: { ...BLUEPRINT_LIMITS.budgets, maxSteps: 2000 } };
    renderBlueprint([file('a', loop)], VARIABLES, rename, { limits });
    assert.throws(
      () => renderBlueprint([file('a', loop), file('b', loop), file('c', loop)], VARIABLES, rename, { limits }),
      (e: Error) => e instanceof BlueprintError && /budget.*shared by all/.test(e.message),
    );
    assert.throws(
      () =>
        renderBlueprint([file('a', 'x'), file('b', 'y')], VARIABLES, rename, { limits: { ...limits, maxFiles: 1 } }),
      /2 files to copy; at most 1/,
    );
  });
});
