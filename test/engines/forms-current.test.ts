// Reading a component's values back from its files (current, mismatch_values) and HCL literals back
// to values: the inverse of what interpolation writes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FormUseCase, interpolate, withCurrentValues } from '../../src/engines/forms/index.js';
import { hclLiteralValue } from '../../src/engines/hcl/literal.js';

const FORM: FormUseCase = {
  name: 'default',
  sections: [
    {
      name: 'S',
      groups: [
        {
          name: 'G',
          technologies: ['pipeline', 'terraform', 'ansible'],
          vars: [
            { name: 'Size', key: 'size', widget: 'simple_text', type: 'string' },
            { name: 'Count', key: 'module.vm.count', widget: 'number', type: 'integer' },
            { name: 'Tags', key: 'tags', widget: 'text_area', type: 'map' },
          ],
        },
      ],
    },
  ],
};

const varsOf = (form: FormUseCase) => Object.fromEntries(form.sections[0]!.groups[0]!.vars.map((v) => [v.key, v]));

describe('HCL literals read back', () => {
  it('reads what hclLiteral writes, and nothing from expressions', () => {
    const cases: [string, unknown][] = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL text, not a JavaScript template
      ['"a \\"b\\" $${x}\\n"', 'a "b" ${x}\n'],
      ['-1.5', -1.5],
      ['[1, "x", true, null]', [1, 'x', true, null]],
      ['{\n  a = 1\n  "b c" = ["d"]\n}', { a: 1, 'b c': ['d'] }],
      ['{}', {}],
    ];
    for (const [text, value] of cases) assert.deepEqual(hclLiteralValue(text), value, text);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL text, not a JavaScript template
    for (const text of ['var.x', '"${var.x}"', 'max(1, 2)', '[1, var.y]', '1 + 2']) {
      assert.equal(hclLiteralValue(text), undefined, text);
    }
  });
});

describe('withCurrentValues', () => {
  const values = { S: { G: { size: 'large', 'module.vm.count': 3, tags: { team: 'web', tier: 1 } } } };
  const written = () =>
    interpolate({ version: '3', use_cases: [FORM] }, 'default', values, {
      samples: {
        variables: '# vars\n',
        terraform: { main: 'module "vm" {\n  source = "./vm"\n}\nvariable "size" {}\nvariable "tags" {}\n' },
        ansible: { site: '', other: 'x: 1\n' },
      },
      compileRegExp: (s) => new RegExp(s),
    }).files;

  it('files written from the values agree with them: current everywhere', () => {
    const files = written();
    const vars = varsOf(withCurrentValues(FORM, values, files));
    assert.equal(vars.size!.current, 'large');
    assert.equal(vars['module.vm.count']!.current, 3);
    assert.deepEqual(vars.tags!.current, { team: 'web', tier: 1 });
    for (const v of Object.values(vars)) assert.equal(v.mismatch_values, undefined);
  });

  it('one file edited apart: every distinct value, no current', () => {
    const files = written();
    files.ansible.other = files.ansible.other!.replace('size: large', 'size: medium');
    files.terraform.main = files.terraform.main!.replace('tier = 1', 'tier = 2');
    const vars = varsOf(withCurrentValues(FORM, values, files));
    assert.deepEqual(vars.size!.mismatch_values, ['large', 'medium']);
    assert.equal('current' in vars.size!, false);
    assert.deepEqual(vars.tags!.mismatch_values, [
      { team: 'web', tier: 1 },
      { team: 'web', tier: 2 },
    ]);
    assert.equal(vars['module.vm.count']!.current, 3);
  });

  it('without files, or when the files lack a key, the saved value', () => {
    assert.equal(varsOf(withCurrentValues(FORM, values)).size!.current, 'large');
    const empty = { variables: '', terraform: { main: 'broken {' }, ansible: { site: ': : :' } };
    const vars = varsOf(withCurrentValues(FORM, values, empty));
    assert.equal(vars.size!.current, 'large');
    assert.equal(varsOf(withCurrentValues(FORM, {}, empty)).size!.current, undefined);
  });
});
