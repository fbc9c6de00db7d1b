// Go's parser tests for text/template (src/text/template/parse/parse_test.go, the parseTests table):
// each input parses (or fails to) as in Go, and the tree prints back as Go's Node.String() prints it.
// Ported: 106 of 109 cases. Left out: the three "exceeds limit" paren-nesting cases, which run Go's
// parser with a lowered expression-depth limit (the engine's own limit is 500 levels).
// Also the numberTests table (TestNumberParse): all 52 cases.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateError } from '../../src/engines/stacktpl/index.js';
import { goNumber } from '../../src/engines/stacktpl/literals.js';
import { nodeString } from '../../src/engines/stacktpl/nodes.js';
import { parseTemplate } from '../../src/engines/stacktpl/parse.js';

const noError = true;
const hasError = false;

const parseTests: Array<[name: string, input: string, ok: boolean, result: string]> = [
  ['empty', '', noError, ''],
  ['comment', '{{/*\n\n\n*/}}', noError, ''],
  ['spaces', ' \t\n', noError, '" \\t\\n"'],
  ['text', 'some text', noError, '"some text"'],
  ['emptyAction', '{{}}', hasError, '{{}}'],
  ['field', '{{.X}}', noError, '{{.X}}'],
  ['simple command', '{{printf}}', noError, '{{printf}}'],
  ['$ invocation', '{{$}}', noError, '{{$}}'],
  ['variable invocation', '{{with $x := 3}}{{$x 23}}{{end}}', noError, '{{with $x := 3}}{{$x 23}}{{end}}'],
  ['variable with fields', '{{$.I}}', noError, '{{$.I}}'],
  ['multi-word command', '{{printf `%d` 23}}', noError, '{{printf `%d` 23}}'],
  ['pipeline', '{{.X|.Y}}', noError, '{{.X | .Y}}'],
  ['pipeline with decl', '{{$x := .X|.Y}}', noError, '{{$x := .X | .Y}}'],
  ['nested pipeline', '{{.X (.Y .Z) (.A | .B .C) (.E)}}', noError, '{{.X (.Y .Z) (.A | .B .C) (.E)}}'],
  ['field applied to parentheses', '{{(.Y .Z).Field}}', noError, '{{(.Y .Z).Field}}'],
  ['simple if', '{{if .X}}hello{{end}}', noError, '{{if .X}}"hello"{{end}}'],
  ['if with else', '{{if .X}}true{{else}}false{{end}}', noError, '{{if .X}}"true"{{else}}"false"{{end}}'],
  [
    'if with else if',
    '{{if .X}}true{{else if .Y}}false{{end}}',
    noError,
    '{{if .X}}"true"{{else}}{{if .Y}}"false"{{end}}{{end}}',
  ],
  [
    'if else chain',
    '+{{if .X}}X{{else if .Y}}Y{{else if .Z}}Z{{end}}+',
    noError,
    '"+"{{if .X}}"X"{{else}}{{if .Y}}"Y"{{else}}{{if .Z}}"Z"{{end}}{{end}}{{end}}"+"',
  ],
  ['simple range', '{{range .X}}hello{{end}}', noError, '{{range .X}}"hello"{{end}}'],
  ['chained field range', '{{range .X.Y.Z}}hello{{end}}', noError, '{{range .X.Y.Z}}"hello"{{end}}'],
  [
    'nested range',
    '{{range .X}}hello{{range .Y}}goodbye{{end}}{{end}}',
    noError,
    '{{range .X}}"hello"{{range .Y}}"goodbye"{{end}}{{end}}',
  ],
  ['range with else', '{{range .X}}true{{else}}false{{end}}', noError, '{{range .X}}"true"{{else}}"false"{{end}}'],
  [
    'range over pipeline',
    '{{range .X|.M}}true{{else}}false{{end}}',
    noError,
    '{{range .X | .M}}"true"{{else}}"false"{{end}}',
  ],
  ['range []int', '{{range .SI}}{{.}}{{end}}', noError, '{{range .SI}}{{.}}{{end}}'],
  ['range 1 var', '{{range $x := .SI}}{{.}}{{end}}', noError, '{{range $x := .SI}}{{.}}{{end}}'],
  ['range 2 vars', '{{range $x, $y := .SI}}{{.}}{{end}}', noError, '{{range $x, $y := .SI}}{{.}}{{end}}'],
  ['range with break', '{{range .SI}}{{.}}{{break}}{{end}}', noError, '{{range .SI}}{{.}}{{break}}{{end}}'],
  ['range with continue', '{{range .SI}}{{.}}{{continue}}{{end}}', noError, '{{range .SI}}{{.}}{{continue}}{{end}}'],
  [
    'constants',
    "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}",
    noError,
    "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}",
  ],
  ['template', '{{template `x`}}', noError, '{{template "x"}}'],
  ['template with arg', '{{template `x` .Y}}', noError, '{{template "x" .Y}}'],
  ['with', '{{with .X}}hello{{end}}', noError, '{{with .X}}"hello"{{end}}'],
  ['with with else', '{{with .X}}hello{{else}}goodbye{{end}}', noError, '{{with .X}}"hello"{{else}}"goodbye"{{end}}'],
  [
    'with with else with',
    '{{with .X}}hello{{else with .Y}}goodbye{{end}}',
    noError,
    '{{with .X}}"hello"{{else}}{{with .Y}}"goodbye"{{end}}{{end}}',
  ],
  [
    'with else chain',
    '{{with .X}}X{{else with .Y}}Y{{else with .Z}}Z{{end}}',
    noError,
    '{{with .X}}"X"{{else}}{{with .Y}}"Y"{{else}}{{with .Z}}"Z"{{end}}{{end}}{{end}}',
  ],
  ['trim left', 'x \r\n\t{{- 3}}', noError, '"x"{{3}}'],
  ['trim right', '{{3 -}}\n\n\ty', noError, '{{3}}"y"'],
  ['trim left and right', 'x \r\n\t{{- 3 -}}\n\n\ty', noError, '"x"{{3}}"y"'],
  ['trim with extra spaces', 'x\n{{-  3   -}}\ny', noError, '"x"{{3}}"y"'],
  ['comment trim left', 'x \r\n\t{{- /* hi */}}', noError, '"x"'],
  ['comment trim right', '{{/* hi */ -}}\n\n\ty', noError, '"y"'],
  ['comment trim left and right', 'x \r\n\t{{- /* */ -}}\n\n\ty', noError, '"x""y"'],
  ['block definition', '{{block "foo" .}}hello{{end}}', noError, '{{template "foo" .}}'],
  ['newline in assignment', '{{ $x \n := \n 1 \n }}', noError, '{{$x := 1}}'],
  ['newline in empty action', '{{\n}}', hasError, '{{\n}}'],
  ['newline in pipeline', '{{\n"x"\n|\nprintf\n}}', noError, '{{"x" | printf}}'],
  ['newline in comment', '{{/*\nhello\n*/}}', noError, ''],
  ['newline in comment', '{{-\n/*\nhello\n*/\n-}}', noError, ''],
  [
    'spaces around continue',
    '{{range .SI}}{{.}}{{ continue }}{{end}}',
    noError,
    '{{range .SI}}{{.}}{{continue}}{{end}}',
  ],
  ['spaces around break', '{{range .SI}}{{.}}{{ break }}{{end}}', noError, '{{range .SI}}{{.}}{{break}}{{end}}'],
  // Errors.
  ['unclosed action', 'hello{{range', hasError, ''],
  ['unmatched end', '{{end}}', hasError, ''],
  ['unmatched else', '{{else}}', hasError, ''],
  ['unmatched else after if', '{{if .X}}hello{{end}}{{else}}', hasError, ''],
  ['multiple else', '{{if .X}}1{{else}}2{{else}}3{{end}}', hasError, ''],
  ['missing end', 'hello{{range .x}}', hasError, ''],
  ['missing end after else', 'hello{{range .x}}{{else}}', hasError, ''],
  ['undefined function', 'hello{{undefined}}', hasError, ''],
  ['undefined variable', '{{$x}}', hasError, ''],
  ['variable undefined after end', '{{with $x := 4}}{{end}}{{$x}}', hasError, ''],
  ['variable undefined in template', '{{template $v}}', hasError, ''],
  ['declare with field', '{{with $x.Y := 4}}{{end}}', hasError, ''],
  ['template with field ref', '{{template .X}}', hasError, ''],
  ['template with var', '{{template $v}}', hasError, ''],
  ['invalid punctuation', '{{printf 3, 4}}', hasError, ''],
  ['multidecl outside range', '{{with $v, $u := 3}}{{end}}', hasError, ''],
  ['too many decls in range', '{{range $u, $v, $w := 3}}{{end}}', hasError, ''],
  ['dot applied to parentheses', '{{printf (printf .).}}', hasError, ''],
  ['adjacent args', '{{printf 3`x`}}', hasError, ''],
  ['adjacent args with .', '{{printf `x`.}}', hasError, ''],
  ['extra end after if', '{{if .X}}a{{else if .Y}}b{{end}}{{end}}', hasError, ''],
  ['break outside range', '{{range .}}{{end}} {{break}}', hasError, ''],
  ['continue outside range', '{{range .}}{{end}} {{continue}}', hasError, ''],
  ['break in range else', '{{range .}}{{else}}{{break}}{{end}}', hasError, ''],
  ['continue in range else', '{{range .}}{{else}}{{continue}}{{end}}', hasError, ''],
  ['bug0a', '{{$x := 0}}{{$x}}', noError, '{{$x := 0}}{{$x}}'],
  ['bug0b', '{{$x += 1}}{{$x}}', hasError, ''],
  ['bug0c', '{{$x ! 2}}{{$x}}', hasError, ''],
  ['bug0d', '{{$x % 3}}{{$x}}', hasError, ''],
  ['bug0e', '{{range $x := $y := 3}}{{end}}', hasError, ''],
  ['bug1a', '{{$x:=.}}{{$x!2}}', hasError, ''],
  ['bug1b', '{{$x:=.}}{{$x+2}}', hasError, ''],
  ['bug1c', '{{$x:=.}}{{$x +2}}', noError, '{{$x := .}}{{$x +2}}'],
  ['bug2a', '{{range $x := 0}}{{$x}}{{end}}', noError, '{{range $x := 0}}{{$x}}{{end}}'],
  ['bug2b', '{{range $x = 0}}{{$x}}{{end}}', noError, '{{range $x = 0}}{{$x}}{{end}}'],
  ['dot after integer', '{{1.E}}', hasError, ''],
  ['dot after float', '{{0.1.E}}', hasError, ''],
  ['dot after boolean', '{{true.E}}', hasError, ''],
  ['dot after char', "{{'a'.any}}", hasError, ''],
  ['dot after string', '{{"hello".guys}}', hasError, ''],
  ['dot after dot', '{{..E}}', hasError, ''],
  ['dot after nil', '{{nil.E}}', hasError, ''],
  ['wrong pipeline dot', '{{12|.}}', hasError, ''],
  ['wrong pipeline number', '{{.|12|printf}}', hasError, ''],
  ['wrong pipeline string', '{{.|printf|"error"}}', hasError, ''],
  ['wrong pipeline char', "{{12|printf|'e'}}", hasError, ''],
  ['wrong pipeline boolean', '{{.|true}}', hasError, ''],
  ['wrong pipeline nil', "{{'c'|nil}}", hasError, ''],
  ['empty pipeline', '{{printf "%d" ( ) }}', hasError, ''],
  ['block definition', '{{block "foo"}}hello{{end}}', hasError, ''],
  ['paren nesting normal', '{{ (( 1 )) }}', noError, '{{((1))}}'],
  ['paren nesting at limit', '{{ ((( 1 ))) }}', noError, '{{(((1)))}}'],
  ['paren nesting in pipeline', '{{ ((( 1 ))) | printf }}', noError, '{{(((1))) | printf}}'],
  [
    'paren nesting with other constructs',
    '{{ if ((( true ))) }}YES{{ end }}',
    noError,
    '{{if (((true)))}}"YES"{{end}}',
  ],
  [
    'control structure nesting at limit',
    '{{if .X}}{{with .Y}}{{range .Z}}x{{end}}{{end}}{{end}}',
    noError,
    '{{if .X}}{{with .Y}}{{range .Z}}"x"{{end}}{{end}}{{end}}',
  ],
];

const builtins = new Set(['printf', 'contains']);

describe('Go text/template parse tests', () => {
  it('ports 106 cases', () => assert.equal(parseTests.length, 106));
  for (const [name, input, ok, result] of parseTests) {
    it(`${name}: ${JSON.stringify(input)}`, () => {
      const parse = () => parseTemplate(name, input, { hasFunction: (f) => builtins.has(f) });
      if (!ok) {
        assert.throws(parse, TemplateError);
        return;
      }
      const tree = parse().get(name)!;
      assert.equal(nodeString(tree.root), result);
    });
  }
});

// text, isInt, isUint, isFloat, isComplex, int64, uint64, float64, complex128 [re, im]
type NumberCase = [string, boolean, boolean, boolean, boolean, bigint, bigint, number, [number, number]];
const bad = (text: string): NumberCase => [text, false, false, false, false, 0n, 0n, 0, [0, 0]];
const numberTests: NumberCase[] = [
  ['0', true, true, true, false, 0n, 0n, 0, [0, 0]],
  ['-0', true, true, true, false, 0n, 0n, 0, [0, 0]],
  ['73', true, true, true, false, 73n, 73n, 73, [0, 0]],
  ['7_3', true, true, true, false, 73n, 73n, 73, [0, 0]],
  ['0b10_010_01', true, true, true, false, 73n, 73n, 73, [0, 0]],
  ['0B10_010_01', true, true, true, false, 73n, 73n, 73, [0, 0]],
  ['073', true, true, true, false, 0o73n, 0o73n, 0o73, [0, 0]],
  ['0o73', true, true, true, false, 0o73n, 0o73n, 0o73, [0, 0]],
  ['0O73', true, true, true, false, 0o73n, 0o73n, 0o73, [0, 0]],
  ['0x73', true, true, true, false, 0x73n, 0x73n, 0x73, [0, 0]],
  ['0X73', true, true, true, false, 0x73n, 0x73n, 0x73, [0, 0]],
  ['0x7_3', true, true, true, false, 0x73n, 0x73n, 0x73, [0, 0]],
  ['-73', true, false, true, false, -73n, 0n, -73, [0, 0]],
  ['+73', true, false, true, false, 73n, 0n, 73, [0, 0]],
  ['100', true, true, true, false, 100n, 100n, 100, [0, 0]],
  ['1e9', true, true, true, false, 1000000000n, 1000000000n, 1e9, [0, 0]],
  ['-1e9', true, false, true, false, -1000000000n, 0n, -1e9, [0, 0]],
  ['-1.2', false, false, true, false, 0n, 0n, -1.2, [0, 0]],
  ['1e19', false, true, true, false, 0n, 10000000000000000000n, 1e19, [0, 0]],
  ['1e1_9', false, true, true, false, 0n, 10000000000000000000n, 1e19, [0, 0]],
  ['1E19', false, true, true, false, 0n, 10000000000000000000n, 1e19, [0, 0]],
  ['-1e19', false, false, true, false, 0n, 0n, -1e19, [0, 0]],
  ['0x_1p4', true, true, true, false, 16n, 16n, 16, [0, 0]],
  ['0X_1P4', true, true, true, false, 16n, 16n, 16, [0, 0]],
  ['0x_1p-4', false, false, true, false, 0n, 0n, 1 / 16, [0, 0]],
  ['4i', false, false, false, true, 0n, 0n, 0, [0, 4]],
  ['-1.2+4.2i', false, false, false, true, 0n, 0n, 0, [-1.2, 4.2]],
  ['073i', false, false, false, true, 0n, 0n, 0, [0, 73]],
  ['0i', true, true, true, true, 0n, 0n, 0, [0, 0]],
  ['-1.2+0i', false, false, true, true, 0n, 0n, -1.2, [-1.2, 0]],
  ['-12+0i', true, false, true, true, -12n, 0n, -12, [-12, 0]],
  ['13+0i', true, true, true, true, 13n, 13n, 13, [13, 0]],
  ['0123', true, true, true, false, 0o123n, 0o123n, 0o123, [0, 0]],
  ['-0x0', true, true, true, false, 0n, 0n, 0, [0, 0]],
  ['0xdeadbeef', true, true, true, false, 0xdeadbeefn, 0xdeadbeefn, 0xdeadbeef, [0, 0]],
  ["'a'", true, true, true, false, 97n, 97n, 97, [0, 0]],
  ["'\\n'", true, true, true, false, 10n, 10n, 10, [0, 0]],
  ["'\\\\'", true, true, true, false, 92n, 92n, 92, [0, 0]],
  ["'\\''", true, true, true, false, 39n, 39n, 39, [0, 0]],
  ["'\\xFF'", true, true, true, false, 0xffn, 0xffn, 0xff, [0, 0]],
  ["'パ'", true, true, true, false, 0x30d1n, 0x30d1n, 0x30d1, [0, 0]],
  ["'\\u30d1'", true, true, true, false, 0x30d1n, 0x30d1n, 0x30d1, [0, 0]],
  ["'\\U000030d1'", true, true, true, false, 0x30d1n, 0x30d1n, 0x30d1, [0, 0]],
  bad('+-2'),
  bad('0x123.'),
  bad('1e.'),
  bad('0xi.'),
  bad('1+2.'),
  bad("'x"),
  bad("'xx'"),
  bad("'433937734937734969526500969526500'"),
  ['0xef', true, true, true, false, 0xefn, 0xefn, 0xef, [0, 0]],
];

describe('Go text/template number parsing', () => {
  for (const [text, isInt, isUint, isFloat, isComplex, i, u, f, c] of numberTests) {
    it(text, () => {
      // As Go's test: a leading quote is a character; what fmt.Sscan reads as complex is complex.
      const kind = text.startsWith("'")
        ? 'char'
        : /^[+-]?[^+-]+(?:[eEpP][+-]\d+)?[+-].*i$/.test(text)
          ? 'complex'
          : 'number';
      const n = goNumber(text, kind);
      const ok = isInt || isUint || isFloat || isComplex;
      if (!ok) {
        assert.equal(typeof n, 'string', `expected an error for ${text}`);
        return;
      }
      assert.notEqual(typeof n, 'string', String(n));
      if (typeof n === 'string') return;
      assert.deepEqual([n.isInt, n.isUint, n.isFloat, n.isComplex], [isInt, isUint, isFloat, isComplex]);
      if (isInt) assert.equal(n.int, i);
      if (isUint) assert.equal(n.uint, u);
      if (isFloat) assert.equal(n.float, f);
      if (isComplex) assert.deepEqual([n.re, n.im], c);
    });
  }
});
