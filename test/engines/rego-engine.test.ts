// Rego semantics beyond the shared conformance cases: the behaviour policies on plans rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileModules, evaluate, RegoError, toJSON } from '../../src/engines/rego/index.js';

function run(text: string | string[], query: string, input?: unknown, data?: unknown): unknown {
  const sources = (Array.isArray(text) ? text : [text]).map((t, i) => ({ file: `m${i}.rego`, text: t }));
  const r = evaluate(compileModules(sources), { query, input, data });
  return r.value === undefined ? undefined : toJSON(r.value);
}

function fails(text: string, query: string, pattern: RegExp, input?: unknown): RegoError {
  try {
    run(text, query, input);
  } catch (e) {
    assert.ok(e instanceof RegoError, String(e));
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected an error matching ${pattern}`);
}

describe('Rego evaluation', () => {
  it('distinguishes undefined from false', () => {
    const m = `package t
a := input.missing
b := false
c if not input.missing
d if not b
e := count(input.missing)`;
    assert.equal(run(m, 'data.t.a', {}), undefined);
    assert.equal(run(m, 'data.t.b', {}), false);
    assert.equal(run(m, 'data.t.c', {}), true);
    assert.equal(run(m, 'data.t.d', {}), true);
    assert.equal(run(m, 'data.t.e', {}), undefined);
    assert.deepEqual(run(m, 'data.t', {}), { b: false, c: true, d: true });
  });

  it('backtracks over variables in references and collects partial sets and objects', () => {
    const m = `package t
import rego.v1
names contains n if input.users[_].name = n
by_id[u.id] := u.name if some u in input.users
admins contains u.name if {
  some i
  u := input.users[i]
  input.roles[u.id] == "admin"
}
pairs := [[i, j] | some i, j; [1, 2][i] == [2, 1][j]]`;
    const input = {
      users: [
        { id: 'a', name: 'Ann' },
        { id: 'b', name: 'Bob' },
      ],
      roles: { a: 'admin', b: 'dev' },
    };
    assert.deepEqual(run(m, 'data.t.names', input), ['Ann', 'Bob']);
    assert.deepEqual(run(m, 'data.t.by_id', input), { a: 'Ann', b: 'Bob' });
    assert.deepEqual(run(m, 'data.t.admins', input), ['Ann']);
    assert.deepEqual(run(m, 'data.t.pairs', input), [
      [0, 1],
      [1, 0],
    ]);
  });

  it('reports two values for a complete rule or an object key as errors', () => {
    fails('package t\np := 1\np := 2', 'data.t.p', /multiple outputs/);
    fails('package t\np[k] := v if { some k, v in {"a": 1}; true }\np["a"] := 2', 'data.t.p', /unique|conflict/);
    fails('package t\nf(x) := 1\nf(x) := 2\np := f(0)', 'data.t.p', /multiple outputs/);
  });

  it('evaluates else chains, defaults and functions with patterns', () => {
    const m = `package t
import rego.v1
default level := "none"
level := "high" if input.score > 8
else := "medium" if input.score > 4
size(1) := "one"
size(2) := "two"
size(n) := "many" if n > 2
first([x, _]) := x
default g(_) := "fallback"
g(x) := "int" if is_number(x)`;
    assert.equal(run(m, 'data.t.level', { score: 9 }), 'high');
    assert.equal(run(m, 'data.t.level', { score: 5 }), 'medium');
    assert.equal(run(m, 'data.t.level', { score: 1 }), 'none');
    assert.deepEqual(run(m, '[data.t.size(1), data.t.size(2), data.t.size(7)]'), ['one', 'two', 'many']);
    assert.equal(run(m, 'data.t.first(["a", "b"])'), 'a');
    assert.equal(run(m, 'data.t.first(["a"])'), undefined);
    assert.deepEqual(run(m, '[data.t.g(1), data.t.g("x")]'), ['int', 'fallback']);
  });

  it('evaluates every, some-in and membership', () => {
    const m = `package t
import rego.v1
all_tagged if every r in input.rs { r.tags.owner }
pairs contains [k, v] if some k, v in input.o
has_b if "b" in input.list
no_z if not "z" in input.list
every_empty if every x in [] { x > 100 }`;
    const input = { rs: [{ tags: { owner: 'a' } }, { tags: { owner: 'b' } }], o: { x: 1, y: 2 }, list: ['a', 'b'] };
    assert.equal(run(m, 'data.t.all_tagged', input), true);
    assert.equal(run(m, 'data.t.all_tagged', { rs: [{ tags: { owner: 'a' } }, { tags: {} }] }), undefined);
    assert.deepEqual(run(m, 'data.t.pairs', input), [
      ['x', 1],
      ['y', 2],
    ]);
    assert.equal(run(m, 'data.t.has_b', input), true);
    assert.equal(run(m, 'data.t.no_z', input), true);
    assert.equal(run(m, 'data.t.every_empty', input), true);
  });

  it('replaces input, data, built-ins and functions with `with`', () => {
    const m = `package t
import rego.v1
allow if input.user == data.admins[_]
now := time.now_ns()
double(x) := x * 2
four := double(2)
a if allow with input as {"user": "ann"} with data.admins as ["ann"]
b if allow with input.user as "bob" with data.admins as ["ann"]
c := x if x := now with time.now_ns as 42
mock(x) := x * 10
d := x if x := four with double as mock
e := x if x := four with double as 7`;
    assert.equal(run(m, 'data.t.a'), true);
    assert.equal(run(m, 'data.t.b'), undefined);
    assert.equal(run(m, 'data.t.c'), 42);
    assert.equal(run(m, 'data.t.d'), 20);
    assert.equal(run(m, 'data.t.e'), 7);
    assert.equal(run(m, 'data.t.four'), 4, 'without `with`, the real function');
  });

  it('resolves imports, other packages and rule heads with references', () => {
    const lib = `package lib.strings
import rego.v1
shout(s) := upper(s)
names := {"a", "b"}`;
    const m = `package t
import rego.v1
import data.lib.strings
import input.tfplan as plan
loud := strings.shout("hi")
n := count(strings.names)
types contains r.type if some r in plan.resource_changes
config.limits.cpu := 2
config.limits.mem := "1Gi"
by_type[r.type][r.name] := r.change.after if some r in plan.resource_changes`;
    const input = {
      tfplan: {
        resource_changes: [
          { type: 'aws_instance', name: 'web', change: { after: { ami: 'x' } } },
          { type: 'aws_s3_bucket', name: 'logs', change: { after: { acl: 'private' } } },
        ],
      },
    };
    assert.equal(run([m, lib], 'data.t.loud', input), 'HI');
    assert.equal(run([m, lib], 'data.t.n', input), 2);
    assert.deepEqual(run([m, lib], 'data.t.types', input), ['aws_instance', 'aws_s3_bucket']);
    assert.deepEqual(run([m, lib], 'data.t.config', input), { limits: { cpu: 2, mem: '1Gi' } });
    assert.deepEqual(run([m, lib], 'data.t.by_type.aws_s3_bucket', input), { logs: { acl: 'private' } });
  });

  it('merges base data with rules and reads data through variables', () => {
    const m = `package t
p := 1`;
    const data = { t: { q: 2 }, other: { x: [1, 2] } };
    assert.deepEqual(run(m, 'data.t', undefined, data), { p: 1, q: 2 });
    assert.deepEqual(run(m, '[k | data.other[k]]', undefined, data), ['x']);
  });

  it('computes arithmetic, strings and regular expressions', () => {
    assert.equal(run([], '7 / 2'), 3.5);
    assert.equal(run([], '7 % 3'), 1);
    assert.equal(run([], 'sprintf("%s=%d (%.1f%%) %v", ["a", 3, 12.345, {"k": [1]}])'), 'a=3 (12.3%) {"k": [1]}');
    assert.equal(run([], 'regex.match("^ami-[0-9a-f]{8,17}$", "ami-0abcdef12")'), true);
    assert.equal(run([], 'glob.match("*.prod.*", ["."], "db.prod.eu")'), true);
    assert.equal(run([], 'glob.match("*.prod", ["."], "db.x.prod")'), false);
    assert.equal(run([], 'glob.match("**.prod", ["."], "db.x.prod")'), true);
    assert.deepEqual(run([], '{1, 2} | {3}'), [1, 2, 3]);
    assert.deepEqual(run([], '{1, 2} & {2, 3}'), [2]);
    assert.deepEqual(run([], '{1, 2} - {2}'), [1]);
    assert.equal(run([], 'units.parse_bytes("1.5Gi")'), 1610612736);
    assert.equal(run([], 'json.marshal({"b": {1, 2}, "a": null})'), '{"a":null,"b":[1,2]}');
    assert.deepEqual(run([], 'object.union({"a": {"x": 1}}, {"a": {"y": 2}})'), { a: { x: 1, y: 2 } });
    assert.equal(run([], 'object.get({"a": {"b": 1}}, ["a", "b"], 0)'), 1);
  });

  it('runs regular expressions in linear time on hostile input', () => {
    const started = Date.now();
    assert.equal(run([], `regex.match("^(a+)+$", "${'a'.repeat(5000)}b")`), false);
    assert.ok(Date.now() - started < 2000, 'no catastrophic backtracking');
  });

  it('captures print output with file and line', () => {
    const r = evaluate(
      compileModules([{ file: 'p.rego', text: 'package t\n\np if {\n  print("x is", input.x, input.nope)\n}' }]),
      {
        query: 'data.t.p',
        input: { x: { a: 1 } },
      },
    );
    assert.equal(r.value, true);
    assert.deepEqual(r.prints, [{ file: 'p.rego', line: 4, message: 'x is {"a": 1} <undefined>' }]);
  });

  it('reports errors with file, line and column', () => {
    const parse = fails('package t\n\np := [1,\n', 'data.t.p', /m0\.rego:4:1: /);
    assert.equal(parse.kind, 'parse');
    const unsafe = fails('package t\n\np if {\n  x > 1\n}', 'data.t.p', /var x is unsafe/);
    assert.deepEqual([unsafe.kind, unsafe.line, unsafe.column], ['compile', 4, 3]);
    const undef = fails('package t\np := nope(1)', 'data.t.p', /could not find function nope/);
    assert.equal(undef.line, 2);
    const ev = fails('package t\np := input.a + 1', 'data.t.p', /plus: operand 1 must be number/, { a: 'x' });
    assert.deepEqual([ev.kind, ev.file, ev.line], ['eval', 'm0.rego', 2]);
    fails('package t\np := q\nq := p', 'data.t.p', /recursive/);
  });

  it('stops at its step budget and its time limit', () => {
    const m = compileModules([
      { file: 'b.rego', text: 'package b\nn := numbers.range(1, 3000)\nx := count([1 | n[_]; n[_]])' },
    ]);
    assert.throws(
      () => evaluate(m, { query: 'data.b.x', maxSteps: 100_000 }),
      (e: unknown) => e instanceof RegoError && e.kind === 'limit' && /budget of 100000 steps/.test(e.message),
    );
    assert.throws(
      () => evaluate(m, { query: 'data.b.x', maxSteps: 1e12, timeoutMs: 50 }),
      (e: unknown) => e instanceof RegoError && e.kind === 'limit' && /time limit/.test(e.message),
    );
  });

  it('makes a failing built-in undefined when built-in errors are not strict', () => {
    const m = compileModules([{ file: 'n.rego', text: 'package n\np := input.a + 1\nq := 1' }]);
    const r = evaluate(m, { query: 'data.n', input: { a: 'x' }, strictBuiltinErrors: false });
    assert.deepEqual(toJSON(r.value!), { q: 1 });
  });
});

describe('Rego every', () => {
  it('fails on a domain that is not a collection and is undefined on an undefined one', () => {
    const m = `package t
import rego.v1
default p := 1
p := 2 if every v in input.n { v > 1 }
q if every _ in input.missing { true }
r contains v if {
  every v in [1, 2] { v < 3 }
  v := 10
}`;
    assert.equal(run(m, 'data.t.p', { n: 42 }), 1);
    assert.equal(run(m, 'data.t.p', { n: [2, 3] }), 2);
    assert.equal(run(m, 'data.t.q', {}), undefined);
    assert.deepEqual(run(m, 'data.t.r', {}), [10]);
  });
});

describe('Rego with on functions', () => {
  it('replaces a function by a value, a function or a built-in, and not inside its replacement', () => {
    const m = `package t
import rego.v1
f(_) := 2
g(_) := 1
wrap(x) := f(x)
a := y if y = f(true) with f as 1
b := y if y = f(true) with f as g
c if f(true, 1) with f as g
d := y if y = f([1]) with f as count
e := y if y := f(1) with f as wrap
h := y if y := f(1) with f as [1 | true][0]`;
    assert.deepEqual(run(m, '[data.t.a, data.t.b, data.t.c, data.t.d, data.t.e, data.t.h]'), [1, 1, true, 1, 2, 1]);
  });
});

describe('Rego network and hash built-ins', () => {
  it('tests CIDR containment and overlap for IPv4 and IPv6, and hashes strings', () => {
    assert.deepEqual(
      run(
        [],
        '[net.cidr_contains("10.0.0.0/8", "10.1.2.3"), net.cidr_contains("10.0.0.0/8", "11.0.0.1"), net.cidr_intersects("0.0.0.0/0", "192.168.0.0/16"), net.cidr_contains("2001:db8::/32", "2001:db8:1::1")]',
      ),
      [true, false, true, true],
    );
    assert.equal(run([], 'crypto.sha256("abc")'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('Rego budgets on large built-in results', () => {
  it('charges the size of numbers.range against the step budget', () => {
    const m = compileModules([
      { file: 'r.rego', text: 'package r\nx := count([1 | numbers.range(1, 9000000); true])' },
    ]);
    assert.throws(
      () => evaluate(m, { query: 'data.r.x', maxSteps: 1_000_000 }),
      (e: unknown) => e instanceof RegoError && e.kind === 'limit',
    );
  });
});
