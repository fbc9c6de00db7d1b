// `gantry stack render`: a stack folder rendered for a component from the command line, as the server
// renders a component's files (the same function), errors with file, line and column on stderr.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stackRender } from '../../src/commands/stack-render.js';
import { FIXTURE_STACKS } from '../helpers/catalog-repos.js';

const dir = mkdtempSync(join(tmpdir(), 'gantry-stack-render-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DUMMY = join(FIXTURE_STACKS, '2025', 'stack-dummy');
const COMPUTE = join(FIXTURE_STACKS, '2025', 'stack-compute');

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await stackRender(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

/** The printed files by destination. */
function filesOf(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of stdout.split(/^# --- /m).slice(1)) {
    const nl = part.indexOf('\n');
    out.set(part.slice(0, nl), part.slice(nl + 1));
  }
  return out;
}

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('gantry stack render', { skip: existsSync(DUMMY) ? false : 'no fixture stacks' }, () => {
  it('renders a fixture stack with the form defaults for the given place', async () => {
    const r = await run([DUMMY, '--use-case', 'default', '--org', 'acme', '--project', 'shop', '--env', 'prod']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const files = filesOf(r.stdout);
    assert.deepEqual([...files.keys()], ['shop/prod/component/pipeline/variables.yml']);
    // The form's default carries a placeholder, rendered with the organization.
    assert.match(
      files.get('shop/prod/component/pipeline/variables.yml')!,
      /^message: hello world and especially to acme$/m,
    );
  });

  it('writes the values of a YAML (or JSON) vars file into every technology of the use case', async () => {
    const vars = write('vars.yml', 'pipeline:\n  config:\n    message: from the file\n');
    const r = await run([DUMMY, '--use-case=default', '--vars', vars, '--component', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# --- project\/env\/web\/pipeline\/variables\.yml\n/);
    assert.match(r.stdout, /^message: from the file$/m);

    const json = write('vars.json', JSON.stringify({ pipeline: { config: { message: 'json' } } }));
    assert.match((await run([DUMMY, '--use-case', 'default', '--vars', json])).stdout, /^message: json$/m);
  });

  it('renders a stack of several use cases, terraform included', async () => {
    const r = await run([COMPUTE, '--use-case', 'aws-ec2', '--project', 'shop', '--env', 'prod', '--component', 'vm']);
    assert.equal(r.code, 0, r.stderr);
    const files = filesOf(r.stdout);
    assert.ok(files.has('shop/prod/vm/pipeline/variables.yml'), [...files.keys()].join(', '));
    assert.ok([...files.keys()].some((k) => k.startsWith('shop/prod/vm/terraform/') && k.endsWith('.tf')));
  });

  it('a value the form refuses is exit 1 naming the key', async () => {
    const vars = write('unknown.json', JSON.stringify({ pipeline: { config: { nope: 1 } } }));
    const r = await run([DUMMY, '--use-case', 'default', '--vars', vars]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /nope/);
  });

  it('a broken template is exit 1 with its file, line and column', async () => {
    const broken = join(dir, 'broken');
    cpSync(DUMMY, broken, { recursive: true });
    writeFileSync(join(broken, 'pipeline', 'variables.sample.yml'), 'a: 1\nb: ($ .project | nosuchfunction $)\n');
    const r = await run([broken, '--use-case', 'default']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /pipeline\/variables\.sample\.yml:2:\d+: .*nosuchfunction/);
  });

  it('a broken .cycloid.yml is exit 1 naming the file and line', async () => {
    const broken = join(dir, 'broken-definition');
    cpSync(DUMMY, broken, { recursive: true });
    writeFileSync(join(broken, '.cycloid.yml'), "version: '4'\nname: x\nconfig: [\n");
    const r = await run([broken, '--use-case', 'default']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^\.cycloid\.yml:\d+: /);
  });

  it('usage: no folder, an unknown option, an unknown use case, no stack here', async () => {
    assert.equal((await run([])).code, 2);
    assert.equal((await run([DUMMY, '--frobnicate'])).code, 2);
    assert.equal((await run([DUMMY, '--use-case'])).code, 2);
    const unknown = await run([DUMMY, '--use-case', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /use case 'nope' is not in the stack \(use cases: default\)/);
    const empty = await run([dir, '--use-case', 'default']);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no \.cycloid\.yml or \.cycloid\.yaml here/);
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: gantry stack render DIR/);
  });
});
