// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL template sequences are the subject of these tests
// The token-level HCL editor on the Terraform files of the fixture stacks: an edited attribute changes
// its own line(s) only, every other line stays byte-identical, and the result still tokenizes with
// balanced brackets. (@cdktf/hcl2json is not installed: the re-parse is our own tokenizer's.)

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import {
  HclExpression,
  hclLiteral,
  quote,
  setModuleAttribute,
  setVariableDefault,
} from '../../src/engines/hcl/edit.js';
import { checkBalanced, HclError, tokenize } from '../../src/engines/hcl/lex.js';
import { FIXTURES } from './forms-fixtures.js';

function terraformFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...terraformFiles(path));
    else if (/\.tf(\.sample)?$/.test(name)) out.push(path);
  }
  return out;
}

function reparse(text: string): void {
  const tokens = tokenize(text);
  assert.equal(tokens.map((t) => t.text).join(''), text, 'tokens cover the text');
  checkBalanced(tokens, text);
}

/** Lines of `after` not in `before` at the same place: `before` must be `after` minus one contiguous run. */
function changedRun(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return { removed: a.slice(start, endA), added: b.slice(start, endB) };
}

const MODULE = /^module\s+"([^"]+)"\s*\{/gm;
const ATTRIBUTE = /^[ \t]+([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=[ \t]*("[^"\n]*"|\d+|true|false)[ \t]*(#.*)?$/m;

const files = terraformFiles(FIXTURES);

describe('HCL editor on the fixture Terraform files', {
  skip: files.length === 0 ? 'no fixture stacks' : false,
}, () => {
  it('tokenizes every fixture Terraform file into balanced tokens covering it', () => {
    assert.ok(files.length > 100, `${files.length} files`);
    for (const f of files) assert.doesNotThrow(() => reparse(readFileSync(f, 'utf8')), relative(FIXTURES, f));
  });

  it('replaces and adds module attributes touching only their own lines', () => {
    let edits = 0;
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(MODULE)) {
        const name = m[1]!;
        const label = `${relative(FIXTURES, f)} module ${name}`;
        // A new attribute: lines are only added, before the block's closing brace.
        const added = setModuleAttribute(src, name, 'gantry_added', { list: ['a', 1, true], 'odd key': 'x${y}' });
        assert.ok(added.found, label);
        reparse(added.text);
        const run = changedRun(src, added.text);
        assert.deepEqual(run.removed, [], label);
        assert.match(run.added[0]!, /^\s*gantry_added = \{$/, label);
        assert.ok(run.added.includes(`${run.added[0]!.match(/^\s*/)![0]}  "odd key" = "x$\${y}"`), label);
        // An existing simple attribute of the block: exactly its line changes, comment kept.
        const body = src.slice(m.index!, src.indexOf('\n}', m.index!));
        const attr = ATTRIBUTE.exec(body);
        if (!attr) continue;
        const replaced = setModuleAttribute(src, name, attr[1]!, 'new "value"');
        reparse(replaced.text);
        const change = changedRun(src, replaced.text);
        assert.equal(change.removed.length, 1, label);
        assert.equal(change.added.length, 1, label);
        assert.equal(change.added[0], change.removed[0]!.replace(attr[2]!, '"new \\"value\\""'), label);
        edits++;
      }
    }
    assert.ok(edits > 20, `${edits} replacements`);
  });
});

describe('HCL editor', () => {
  const SRC = [
    '# header comment',
    'module "vm" {',
    '  source = "./vm"   # do not change',
    '  tags = {',
    '    name = "in a nested map"',
    '  }',
    '  rules = [',
    '    1,',
    '    2,',
    '  ]',
    '  script = <<-EOT',
    '    echo "}"',
    '  EOT',
    '  url = "${var.a}-{x}"',
    '}',
    '',
    'module "vm2" { source = "./vm2" }',
    '',
    'variable "size" {',
    '  default = 1',
    '}',
    '',
  ].join('\n');

  it('replaces multi-line values and leaves nested attributes of the same name alone', () => {
    const r = setModuleAttribute(SRC, 'vm', 'rules', [3]);
    assert.equal(r.text, SRC.replace('[\n    1,\n    2,\n  ]', '[3]'));
    const h = setModuleAttribute(SRC, 'vm', 'script', 'echo hi');
    assert.equal(h.text, SRC.replace('<<-EOT\n    echo "}"\n  EOT', '"echo hi"'));
    const n = setModuleAttribute(SRC, 'vm', 'name', 'top');
    assert.ok(n.text.includes('    name = "in a nested map"\n'));
    assert.ok(n.text.includes('  url = "${var.a}-{x}"\n  name = "top"\n}\n'));
  });

  it('adds to one-line blocks, sets variable defaults and reports missing blocks', () => {
    const r = setModuleAttribute(SRC, 'vm2', 'count', 2);
    assert.ok(r.text.includes('module "vm2" { source = "./vm2"\n  count = 2\n}\n'));
    reparse(r.text);
    assert.ok(setVariableDefault(SRC, 'size', 3).text.includes('variable "size" {\n  default = 3\n}'));
    assert.deepEqual(setModuleAttribute(SRC, 'nope', 'a', 1), { text: SRC, found: false });
    // A label that only matches inside a string or a nested block is not a block.
    assert.equal(setModuleAttribute('x = "module \\"vm\\" {"\n', 'vm', 'a', 1).found, false);
  });

  it('writes HCL literals: escapes, numbers, bools, lists, maps, raw expressions', () => {
    assert.equal(quote('a"b\\c\nd${e}%{f}'), '"a\\"b\\\\c\\nd$${e}%%{f}"');
    assert.equal(hclLiteral(['a', 1.5, false, null]), '["a", 1.5, false, null]');
    assert.equal(
      hclLiteral({ a: { 'b-c': [1] }, 'd e': {} }, '  '),
      '{\n    a = {\n      b-c = [1]\n    }\n    "d e" = {}\n  }',
    );
    assert.equal(hclLiteral([{ a: 1 }]), '[\n  {\n    a = 1\n  },\n]');
    assert.equal(hclLiteral(new HclExpression('  [{ from = 22 }]\n')), '[{ from = 22 }]');
    assert.throws(() => hclLiteral(new HclExpression('"[\n  { a = "b" }\n]"')), HclError);
    assert.throws(() => hclLiteral(Number.NaN), HclError);
  });

  it('refuses files it cannot tokenize, naming the line', () => {
    assert.throws(
      () => setModuleAttribute('module "a" {\n  x = "open\n}\n', 'a', 'x', 1),
      /line 2: unterminated string/,
    );
    assert.throws(() => setModuleAttribute('module "a" {\n', 'a', 'x', 1), /line 1: "\{" is never closed/);
    assert.throws(() => setModuleAttribute('module "a" {}\n', 'a', 'not an attr', 1), HclError);
  });
});
