import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { policyEval } from '../../src/commands/policy-eval.js';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await policyEval(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('gantry policy eval', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-policy-eval-'));
    writeFileSync(
      file('tags.rego'),
      `package example
import rego.v1
import input.tfplan as tfplan

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == data.forbidden.type
  msg := sprintf("%s: %s is forbidden", [r.address, r.type])
}

deny contains msg if {
  some r in tfplan.resource_changes
  not r.change.after.tags.owner
  msg := sprintf("%s has no owner tag", [r.address])
}

nothing if false
`,
    );
    writeFileSync(
      file('plan.json'),
      JSON.stringify({
        tfplan: {
          format_version: '1.2',
          resource_changes: [
            {
              address: 'aws_instance.a',
              type: 'aws_instance',
              change: { actions: ['create'], after: { tags: { owner: 'x' } } },
            },
            { address: 'aws_s3_bucket.b', type: 'aws_s3_bucket', change: { actions: ['create'], after: { tags: {} } } },
          ],
        },
      }),
    );
    writeFileSync(file('data.yaml'), 'forbidden:\n  type: aws_instance\n');
    writeFileSync(file('broken.rego'), 'package broken\n\np := [1,\n  2\n');
    writeFileSync(file('fails.rego'), 'package fails\n\np := 1 / 0\n');
    writeFileSync(file('talks.rego'), 'package talks\n\np if print("checking", 42)\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the query's value as JSON, sets as sorted arrays", async () => {
    const r = await run([
      'eval',
      '--data',
      file('data.yaml'),
      '--input',
      file('plan.json'),
      '--query',
      'data.example.deny',
      file('tags.rego'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      'aws_instance.a: aws_instance is forbidden',
      'aws_s3_bucket.b has no owner tag',
    ]);
    assert.equal(r.stderr, '');
  });

  it('accepts the policy word, --name=value options and queries without modules', async () => {
    const r = await run(['policy', 'eval', '--query=1 + 2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '3');
  });

  it('prints nothing when the query is undefined', async () => {
    const r = await run(['--query', 'data.example.nothing', '--input', file('plan.json'), file('tags.rego')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  it('reports a parse error with file, line and column, and returns 1', async () => {
    const r = await run(['--query', 'data.broken.p', file('broken.rego')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`${file('broken.rego').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5:1: `));
  });

  it('reports an evaluation error with its location, and returns 1', async () => {
    const r = await run(['--query', 'data.fails.p', file('fails.rego')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /fails\.rego:3:\d+: div: divide by zero/);
  });

  it('writes print output to stderr', async () => {
    const r = await run(['--query', 'data.talks.p', file('talks.rego')]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), 'true');
    assert.match(r.stderr, /talks\.rego:3: checking 42/);
  });

  it('answers bad usage with 2 and a usage line', async () => {
    for (const args of [
      [file('tags.rego')],
      ['--query'],
      ['--bogus', 'x', '--query', 'true'],
      ['--query', 'true', '--max-steps', 'lots'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /usage: gantry policy eval/);
    }
  });

  it('returns 1 when a file cannot be read', async () => {
    const r = await run(['--query', 'true', file('missing.rego')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.rego/);
  });

  it('stops a runaway query at its step budget', async () => {
    const r = await run([
      '--query',
      'count([1 | numbers.range(1, 1000)[_]; numbers.range(1, 1000)[_]])',
      '--max-steps',
      '10000',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /budget of 10000 steps/);
  });
});
