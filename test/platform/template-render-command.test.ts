// `gantry template render`: one template file rendered from the command line, errors with line and
// column on stderr, and a few of Go's own execution tests run from the outside.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { templateRender } from '../../src/commands/template-render.js';

const dir = mkdtempSync(join(tmpdir(), 'gantry-template-render-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(content: string, ext = 'tmpl'): string {
  const path = join(dir, `f${++counter}.${ext}`);
  writeFileSync(path, content);
  return path;
}

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await templateRender(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

describe('gantry template render', () => {
  it('renders a template with JSON data (objects are maps, numbers float64)', async () => {
    const tmpl = file('{{.name | upper}} {{range $k, $v := .tags}}{{$k}}={{$v}};{{end}} {{printf "%T" .n}} {{.n}}');
    const data = file(JSON.stringify({ name: 'web', tags: { b: 2, a: 'x' }, n: 3 }), 'json');
    const r = await run(['--data', data, tmpl]);
    assert.deepEqual(r, { code: 0, stdout: 'WEB a=x;b=2; float64 3', stderr: '' });
  });

  it('takes other delimiters, e.g. the stack delimiters', async () => {
    const tmpl = file('project: ($ .project $) {{ not a template }}');
    const data = file('{"project":"p1"}', 'json');
    const r = await run(['--delims', '($,$)', '--data', data, tmpl]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'project: p1 {{ not a template }}');
    const r2 = await run([`--delims=($,$)`, tmpl]);
    assert.equal(r2.stdout, 'project: <no value> {{ not a template }}');
  });

  it('reports a parse error with line and column, exit 1', async () => {
    const tmpl = file('line 1\nline 2 {{if .x}}\n');
    const r = await run([tmpl]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^template: f\d+\.tmpl:3:0: unexpected EOF\n$/);
  });

  it('reports an execution error with line and column, exit 1', async () => {
    const tmpl = file('a\n  {{index .list .i}}\n');
    const data = file('{"list":["x"],"i":0}', 'json');
    const r = await run(['--data', data, tmpl]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^template: f\d+\.tmpl:2:4: executing "f\d+\.tmpl" at <index \.list \.i>: error calling index: cannot index slice\/array with type float64\n$/,
    );
  });

  it('ends a runaway template with a budget error', async () => {
    const tmpl = file('{{define "x"}}{{template "x" .}}{{end}}{{template "x" .}}');
    const r = await run([tmpl]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exceeded maximum template depth/);
  });

  it('prints its usage on --help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: gantry template render/);
  });

  it('answers usage errors with exit 2', async () => {
    const tmpl = file('x');
    assert.equal((await run([])).code, 2);
    assert.equal((await run(['--nope', tmpl])).code, 2);
    assert.equal((await run(['--delims', '{{', tmpl])).code, 2);
    assert.equal((await run(['--data'])).code, 2);
    assert.equal((await run([tmpl, tmpl])).code, 2);
    assert.equal((await run([join(dir, 'missing.tmpl')])).code, 2);
    const bad = await run(['--data', file('{nope', 'json'), tmpl]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not valid JSON/);
  });

  // A few cases of Go's exec_test.go whose data JSON can carry (no integers: JSON numbers are float64).
  const goCases: Array<[string, string, unknown, string | null]> = [
    ['text', 'some text', null, 'some text'],
    ['nil action', '{{nil}}', null, null],
    ['if else chain', '{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}', null, '3'],
    ['print 123', '{{print 1 2 3}}', null, '1 2 3'],
    ['printf int', '{{printf "%04x" 127}}', null, '007f'],
    [
      'html',
      '{{html "<script>alert(\\"XSS\\");</script>"}}',
      null,
      '&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;',
    ],
    ['js', '{{js .}}', "It'd be nice.", "It\\'d be nice."],
    ['urlquery', '{{"http://www.example.org/"|urlquery}}', null, 'http%3A%2F%2Fwww.example.org%2F'],
    ['and', '{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}', null, 'false 0 0 1'],
    [
      'with else with chain',
      '{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}',
      null,
      'notempty',
    ],
    ['range 5', '{{range $v := 5}}{{printf "%T%d" $v $v}}{{end}}', null, 'int0int1int2int3int4'],
    ['bug9', '{{.cause}}', { cause: 'neglect' }, 'neglect'],
    ['field on interface', '{{.foo}}', null, '<no value>'],
    ['hex float', '{{print +0x1.ep+2}}', null, '7.5'],
    ['range []bool', '{{range .SB}}-{{.}}-{{end}}', { SB: [true, false] }, '-true--false-'],
    ['bug16a', '{{true|printf}}', null, null],
  ];
  for (const [name, input, data, want] of goCases) {
    it(`Go exec test ${name}`, async () => {
      const args = data === null ? [file(input)] : ['--data', file(JSON.stringify(data), 'json'), file(input)];
      const r = await run(args);
      if (want === null) {
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^template: f\d+\.tmpl:1:\d+: /);
      } else {
        assert.deepEqual(r, { code: 0, stdout: want, stderr: '' });
      }
    });
  }
});
