import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  findStackMarkers,
  parseStackDefinition,
  readGoYaml,
  referencedFiles,
  repositoryPath,
  StackFileError,
} from '../src/engines/stacks/index.js';
import { remoteHead, scanRepository } from '../src/modules/catalog/scan.js';
import { createGit } from '../src/platform/git/index.js';
import { catalogRepo, FIXTURE_STACKS } from './helpers/catalog-repos.js';
import {
  type GitHttpServer,
  loopbackAllowedPolicy,
  missingPrograms,
  recordingLogger,
  startGitHttpServer,
  TEST_CA,
} from './helpers/git-servers.js';

const problemOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof StackFileError) return error.problem;
    throw error;
  }
  assert.fail('expected a StackFileError');
};

describe('stack files read as Go yaml.v2 reads them', () => {
  it('YAML 1.1 booleans, anchors and merges; a repeated key keeps the last value with a warning', () => {
    const { value, warnings } = readGoYaml(
      'a: yes\nb: off\nbase: &b {x: 1}\nc:\n  <<: *b\n  z: 2\nd: first\nd: second\n',
      'f.yml',
    );
    assert.deepEqual(value, { a: true, b: false, base: { x: 1 }, c: { x: 1, z: 2 }, d: 'second' });
    assert.deepEqual(warnings, [
      { file: 'f.yml', line: 8, reason: 'key "d" is repeated in one mapping: the last value is kept' },
    ]);
  });

  it('broken YAML names the file and line', () => {
    const problem = problemOf(() => parseStackDefinition('name: x\n\tcanonical: y\n', 's/.cycloid.yml'));
    assert.equal(problem.file, 's/.cycloid.yml');
    assert.equal(problem.line, 2);
  });

  it('a stack without a valid canonical or version is refused with the field named', () => {
    assert.match(problemOf(() => parseStackDefinition('name: x\n', 'f')).reason, /^canonical: missing/);
    assert.match(problemOf(() => parseStackDefinition('canonical: Not OK\n', 'f')).reason, /^canonical: /);
    assert.match(problemOf(() => parseStackDefinition("canonical: ok-1\nversion: '7'\n", 'f')).reason, /^version: /);
    assert.match(problemOf(() => parseStackDefinition('- a\n', 'f')).reason, /mapping/);
    // The line of the field at fault, when the file has it.
    assert.equal(problemOf(() => parseStackDefinition("# stack\ncanonical: ok-1\nversion: '7'\n", 'f')).line, 3);
    assert.equal(problemOf(() => parseStackDefinition('name: x\nconfig: 5\ncanonical: c-1\n', 'f')).line, 2);
    assert.equal(problemOf(() => parseStackDefinition('name: x\n', 'f')).line, undefined);
    // Longer than the catalog keeps: refused with its line, never a database error for the whole catalog.
    const long = problemOf(() => parseStackDefinition(`canonical: c-1\nauthor: ${'a'.repeat(501)}\n`, 'f'));
    assert.match(long.reason, /^author: 501 characters; at most 500 are allowed/);
    assert.equal(long.line, 2);
    assert.match(
      problemOf(() => parseStackDefinition(`canonical: c-1\nname: ${'n'.repeat(600)}\n`, 'f')).reason,
      /^name: /,
    );
  });

  it('version is quote-insensitive, missing is 1; an empty config is a stack without use cases', () => {
    for (const [text, version] of [
      ["version: '2'", '2'],
      ['version: 2', '2'],
      ['version: "4"', '4'],
      ['', '1'],
    ] as const) {
      const { definition } = parseStackDefinition(`${text}\ncanonical: s-1\nname: S\nconfig:\n`, 'f');
      assert.equal(definition.version, version, text);
      assert.deepEqual(definition.useCases, []);
    }
  });

  it('a v1 layout is one use case named default; unknown technology keys are kept', () => {
    const { definition } = parseStackDefinition(
      [
        'canonical: old-1',
        'name: Old',
        'config:',
        '  pipeline:',
        '    pipeline: {path: pipeline/pipeline.yml}',
        '    variables: {path: pipeline/variables.sample.yml, destination: "($ project $)/v.yml"}',
        '  terraform:',
        '    main: {path: terraform/main.tf.sample, destination: x/main.tf}',
        '',
      ].join('\n'),
      'f',
    );
    assert.equal(definition.useCases.length, 1);
    const [useCase] = definition.useCases;
    assert.equal(useCase!.key, 'default');
    assert.equal(useCase!.pipeline, 'pipeline/pipeline.yml');
    assert.deepEqual(useCase!.files.terraform, {
      main: { path: 'terraform/main.tf.sample', destination: 'x/main.tf' },
    });

    const modern = parseStackDefinition(
      'canonical: new-1\nname: N\nconfig:\n  u:\n    terragrunt:\n      root: {path: tg/root.hcl, destination: r.hcl}\n',
      'f',
    ).definition;
    assert.deepEqual(modern.useCases[0]!.files.terragrunt, { root: { path: 'tg/root.hcl', destination: 'r.hcl' } });
  });

  it('text fields keep numbers and booleans as written, as yaml.v2 fills Go strings', () => {
    const { definition } = parseStackDefinition(
      'version: 2\ncanonical: k-1\nname: 1.20\ndescription: yes\nkeywords: [on, 0x1F]\ntemplate: true\ntechnologies:\n- {technology: kubernetes, version: 1.10}\n',
      'f',
    );
    assert.equal(definition.version, '2');
    assert.equal(definition.name, '1.20');
    assert.equal(definition.description, 'yes');
    assert.deepEqual(definition.keywords, ['on', '0x1F']);
    assert.deepEqual(definition.technologies, [{ technology: 'kubernetes', version: '1.10' }]);
    assert.equal(definition.blueprint, true);
  });

  it('dependencies given as bare refs are read as {ref}; hooks and templating entries leave no file', () => {
    const { definition, warnings } = parseStackDefinition(
      [
        'version: 4',
        'canonical: dep-1',
        'name: D',
        'dependencies: [simplev4, {ref: "acme:simpletf4", required: true}]',
        'config:',
        '  u:',
        '    pipeline:',
        '      pipeline: {path: p.yml, hooks: {on_create: ["job:created"]}}',
        '    templating:',
        '      var_path: v.json',
        '      templates: [{paths: [t.tmpl], destination: out, config: {destination_is_file: true}}]',
        '',
      ].join('\n'),
      'f',
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(definition.dependencies, [{ ref: 'simplev4' }, { ref: 'acme:simpletf4', required: true }]);
    assert.equal(definition.useCases[0]!.pipeline, 'p.yml');
    assert.deepEqual(definition.useCases[0]!.files.templating, {});
  });

  it('every stack marker at any depth, .yml winning over .yaml; paths never leave the repository', () => {
    assert.deepEqual(
      findStackMarkers(['a/.cycloid.yaml', 'a/.cycloid.yml', '.cycloid.yml', 'a/b/c/.cycloid.yaml', 'x/README.md']),
      [
        { directory: '/', file: '.cycloid.yml' },
        { directory: 'a', file: 'a/.cycloid.yml' },
        { directory: 'a/b/c', file: 'a/b/c/.cycloid.yaml' },
      ],
    );
    assert.equal(repositoryPath('a/b', '../../../etc/passwd'), undefined);
    assert.equal(repositoryPath('a/b', '../c/x.yml'), 'a/c/x.yml');
    assert.equal(repositoryPath('/', 'pipeline/p.yml'), 'pipeline/p.yml');
    const { definition } = parseStackDefinition(
      'canonical: s-1\nname: S\nconfig:\n  u:\n    pipeline:\n      pipeline: {path: ../../../secret}\n',
      'f',
    );
    assert.deepEqual(referencedFiles('s', definition), ['s/.forms.yml', 's/README.md']);
  });
});

describe('catalog scan over https (git http-backend behind basic auth and TLS)', {
  skip: missingPrograms('git'),
}, () => {
  let root: string;
  let http: GitHttpServer;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'gantry-catalog-https-'));
    catalogRepo(root, 'stacks', { main: { copy: join(FIXTURE_STACKS, '2025') } });
    http = await startGitHttpServer(root, 'reader', 'catalog-secret');
  });
  after(async () => {
    await http?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads every stack of the 2025 catalog with a basic-auth credential; an unchanged tip is not read again', async () => {
    const git = createGit({
      dataDir: join(root, 'data'),
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: false },
      logger: recordingLogger([]),
    });
    const remote = {
      url: http.url('stacks'),
      credential: { kind: 'basic' as const, username: 'reader', password: 'catalog-secret' },
      caCert: TEST_CA,
    };
    const scan = (await scanRepository(git, remote, 'main'))!;
    assert.deepEqual(
      scan.stacks.map((s) => [s.directory, s.parsed.definition.canonical, s.parsed.definition.version]),
      [
        ['stack-compute', 'stack-compute', '4'],
        ['stack-dockerbuild', 'stack-dockerbuild', '4'],
        ['stack-dummy', 'stack-dummy', '4'],
        ['stack-dummy/ak-test-stack', 'ak-test-stack', '4'],
        ['stack-dummy/double_stack_with_cheese', 'double_stack_with_cheese', '4'],
        ['stack-getting-started', 'stack-getting-started', '4'],
        ['stack-k8s-runner', 'stack-k8s-runner', '4'],
        ['stack-terraform-runner', 'stack-terraform-runner', '4'],
      ],
    );
    assert.deepEqual(scan.problems, []);
    assert.ok(scan.stacks.every((s) => s.forms !== null && s.forms.length > 0));
    assert.equal(await remoteHead(git, remote, 'main'), scan.commit);
    assert.equal(await scanRepository(git, remote, 'main', scan.commit), null);
    assert.ok(http.seen.every((r) => !r.url.includes('catalog-secret')));

    const refused = { ...remote, credential: { ...remote.credential, password: 'wrong' } };
    await assert.rejects(scanRepository(git, refused, 'main'), (e: Error & { reason?: string }) => e.reason === 'auth');
  });
});
