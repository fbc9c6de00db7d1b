// The StackForms engine: YAML as yaml.v2 reads it, conditions, validation messages on mutated copies of
// every fixture forms file, interpolation of the documented example, and budgets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  evaluateCondition,
  FormsBudgetError,
  FormsError,
  type FormsFile,
  type FormVar,
  interpolate,
  loadFormsText,
  parseCondition,
  parseGoYaml,
  setYamlKey,
  validateForms,
} from '../../src/engines/forms/index.js';
import { pairText } from '../../src/engines/forms/yaml-edit.js';
import { linearRegExp } from '../../src/platform/text/linear-regexp.js';
import { FIXTURE_CONTEXT, formsFixtures } from './forms-fixtures.js';

const compileRegExp = linearRegExp;
const valid = (file: unknown) => validateForms(file, { compileRegExp });
const evalCond = (src: string, values: Record<string, unknown>) =>
  evaluateCondition(parseCondition(src), (k) => values[k]);

describe('forms YAML as Go yaml.v2 reads it', () => {
  it('keeps the last of a repeated key, with a warning naming the line', () => {
    const r = parseGoYaml('a:\n  description: one\n  description: two\n', 'f.yml');
    assert.deepEqual(r.value, { a: { description: 'two' } });
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!.message, /^f\.yml:3: key "description" repeated \(first at line 2\)/);
  });

  it('reads YAML 1.1 booleans, anchors under an extra key and merges', () => {
    const text =
      'shared:\n- &s {name: S, groups: []}\nbase: &b {x: 1}\nuse_cases:\n- name: u\n  sections: [*s]\nm:\n  <<: *b\n  k: yes\n  y: 1\n';
    const r = parseGoYaml(text).value as any;
    assert.deepEqual(r.use_cases[0].sections[0], { name: 'S', groups: [] });
    // `y` is a YAML 1.1 boolean too: yaml.v2 reads that key as true.
    assert.deepEqual(r.m, { x: 1, k: true, true: 1 });
    assert.deepEqual(valid(r).errors, []);
  });

  it('stops alias bombs and names the line of syntax errors', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 9; i++)
      bomb.push(`${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`);
    assert.throws(() => parseGoYaml(bomb.join('\n')), FormsError);
    assert.throws(() => parseGoYaml('a: [1,\nb: 2\n', 'x.yml'), /^FormsError: x\.yml:\d+: /);
  });

  it('renders stack templating before parsing (v3+), and a 1 GB expansion ends with a budget error', () => {
    const text = 'use_cases:\n- name: u\n  sections: [{name: "($ .org $)", groups: []}]\n';
    const loaded = loadFormsText(text, { stackVersion: 4, context: { organization: 'acme' } });
    assert.equal((loaded.file as any).use_cases[0].sections[0].name, 'acme');
    const defs = ['($ define "t0" $)xxxxxxxxxx($ end $)'];
    for (let i = 1; i <= 9; i++) defs.push(`($ define "t${i}" $)${`($ template "t${i - 1}" $)`.repeat(10)}($ end $)`);
    const bomb = `${defs.join('')}a: "($ template "t9" $)"\n`;
    assert.throws(() => loadFormsText(bomb, { stackVersion: 4 }), FormsBudgetError);
    // Nested ranges: steps run out before the output does.
    const ten = `list ${Array.from({ length: 10 }, (_, i) => i).join(' ')}`;
    const loops = `a: "($ range (${ten}) $)($ range (${ten}) $)($ range (${ten}) $)x($ end $)($ end $)($ end $)"\n`;
    assert.equal((loadFormsText(loops, { stackVersion: 4 }).file as any).a.length, 1000);
    assert.throws(() => loadFormsText(loops, { stackVersion: 4, budgets: { maxSteps: 500 } }), FormsBudgetError);
  });
});

describe('YAML variables edited in place', () => {
  it('rewrites only the edited pair and appends new keys, comments and spacing kept', () => {
    const src = '# head\nkeep:  ((cred.key))   # why\nlist:\n  - a\n  - b\n# before last\nlast: "q"\n';
    assert.equal(
      setYamlKey(src, 'list', ['c'], 'v'),
      '# head\nkeep:  ((cred.key))   # why\nlist:\n  - c\n# before last\nlast: "q"\n',
    );
    assert.equal(setYamlKey(src, 'keep', 'yes', 'v'), src.replace('keep:  ((cred.key))', 'keep: "yes"'));
    assert.equal(setYamlKey(src, 'new', { m: 1 }, 'v'), `${src}new:\n  m: 1\n`);
    assert.equal(setYamlKey('# Expose variables\n', 'a', true, 'v'), '# Expose variables\na: true\n');
    assert.equal(setYamlKey('', 'a', 1, 'v'), 'a: 1\n');
    assert.throws(() => setYamlKey('- a\n', 'a', 1, 'v'), /v: the file is not a map of variables/);
  });
});

describe('pairs written without the YAML printer', () => {
  it('are exactly what the printer writes, for every default of the fixtures and awkward values', () => {
    const values: unknown[] = [
      ...['', 'y', 'No', 'ON', 'null', 'Null', '~', '-', '?', ':', 'a:', 'a: b', 'a #b', 'a#b', 'a ', ' a', 'a\tb'],
      ...['((aws.access_key))', 'git@github.com:MyUser/config.git', 'West Europe', '/grafana/', '(a: b)', 'x\u0001'],
      ...['1.3.4', '0x1F', '2001-12-14', '.inf', '1:20', 'eu-west-3', 'a\nb', 'a---', '(', 'é', 'a\ud800'],
      ...[true, false, 0, -0, 7, -12, 2 ** 53, 1.5, null, [], {}, ['a'], { a: 1 }],
    ];
    for (const fx of formsFixtures()) {
      const tree = validateForms(loadFormsText(fx.text, { stackVersion: fx.stackVersion, name: fx.label }).file, {
        compileRegExp,
      }).forms;
      for (const uc of tree.use_cases)
        for (const s of uc.sections) for (const g of s.groups) for (const v of g.vars) values.push(v.default);
    }
    const printer = (key: string, value: unknown) =>
      stringify({ [key]: value }, { version: '1.1', merge: true, uniqueKeys: false, lineWidth: 0 }).replace(/\n$/, '');
    for (const key of ['key', 'aws_region', 'a.b', 'y', 'on', '1a', 'a b']) {
      for (const value of values) assert.equal(pairText(key, value), printer(key, value), JSON.stringify([key, value]));
    }
  });
});

describe('conditions', () => {
  it('evaluates the documented expressions', () => {
    const values = { vm: 'Normal', cpu: 4, add_disks: 0, mdc: true, host_pool_type: 'Pooled', ecr: false };
    assert.equal(evalCond("$vm == 'Normal'", values), true);
    assert.equal(evalCond("$cpu == 4 && $vm == 'Normal'", values), true);
    assert.equal(evalCond('$add_disks > 0', values), false);
    assert.equal(evalCond('$mdc == true', values), true);
    assert.equal(evalCond('$mdc', values), true);
    assert.equal(evalCond('!$ecr || $cpu >= 8', values), true);
    assert.equal(evalCond('($cpu < 2 || $cpu > 3) && !($vm != "Normal")', values), true);
    assert.equal(evalCond('host_pool_type==Pooled', values), true);
    assert.equal(evalCond('host_pool_type==Personal', values), false);
    assert.equal(evalCond('$cpu > -1', values), true);
    // Keys may hold hyphens (Terraform module names); a legacy right-hand word too.
    assert.equal(
      evalCond('$module.aws-vm.create_dns == true && $cpu > -1', { 'module.aws-vm.create_dns': true, cpu: 4 }),
      true,
    );
    assert.equal(evalCond('region==eu-west-1', { region: 'eu-west-1' }), true);
    // Different types are never equal, a missing variable is nothing, and only `true` is true.
    assert.equal(evalCond("$cpu == '4'", values), false);
    assert.equal(evalCond("$missing == ''", values), false);
    assert.equal(evalCond('$vm', values), false);
  });

  it('refuses what it cannot read, naming the position', () => {
    for (const [src, message] of [
      ["$a == 'x", /unterminated string/],
      ['$a == ', /operand expected at the end/],
      ['$a = 1', /unexpected "=" at position 4/],
      ['($a == 1', /"\)" expected/],
      ['$a == b', /unknown word "b"/],
      ['', /empty condition/],
      [`${'('.repeat(100)}$a${')'.repeat(100)}`, /nested too deeply/],
      ['$a == 1 '.repeat(400), /longer than/],
    ] as const) {
      assert.throws(() => parseCondition(src), message, src.slice(0, 30));
    }
  });
});

/** The first var of the first group of the normalized tree, in a deep copy. */
function withFirstVar(forms: FormsFile, change: (v: FormVar, f: FormsFile) => void): FormsFile {
  const copy = structuredClone(forms);
  const group = copy.use_cases[0]!.sections.flatMap((s) => s.groups).find((g) => g.vars.length > 0)!;
  change(group.vars[0]!, copy);
  return copy;
}

describe('validation messages on mutated copies of every fixture forms file', () => {
  for (const fx of formsFixtures()) {
    it(fx.label, () => {
      const loaded = loadFormsText(fx.text, { stackVersion: fx.stackVersion, context: FIXTURE_CONTEXT });
      const { forms } = valid(loaded.file);
      assert.deepEqual(valid(forms).errors, [], 'the normalized tree validates too');
      const uc = forms.use_cases[0]!.name;
      const expect = (mutated: FormsFile, pattern: RegExp) => {
        const { errors } = valid(mutated);
        assert.ok(
          errors.some((e) => pattern.test(e)),
          `${pattern}: ${JSON.stringify(errors)}`,
        );
      };
      const head = (key: string) =>
        new RegExp(
          `^The Forms File has an invalid format: use case "${uc}" invalid definition for variable "${key.replace(/[.]/g, '\\.')}" \\(key\\) in section "[^"]*" of "[^"]*": `,
        );
      const first = withFirstVar(forms, () => {});
      const key = first.use_cases[0]!.sections.flatMap((s) => s.groups).find((g) => g.vars.length > 0)!.vars[0]!.key;

      expect(
        withFirstVar(forms, (v) => {
          (v as any).widget = 'wheel';
        }),
        new RegExp(`${head(key).source}The Forms Widget has an invalid format$`),
      );
      expect(
        withFirstVar(forms, (v) => {
          (v as any).type = 'text';
        }),
        new RegExp(`${head(key).source}The Forms Type has an invalid format$`),
      );
      expect(
        withFirstVar(forms, (v) => {
          delete (v as any).key;
        }),
        /invalid definition for variable "#1" \(key\).*The Forms Key has an invalid format/,
      );
      expect(
        withFirstVar(forms, (v) => {
          v.type = 'boolean';
          v.widget = 'switch';
          v.default = 'maybe';
          delete v.values;
        }),
        new RegExp(`${head(key).source}The Forms Default has an invalid format: "maybe" is not a boolean`),
      );
      expect(
        withFirstVar(forms, (v) => {
          v.type = 'string';
          v.widget = 'radios';
          v.values = ['a', 'b'];
          v.default = 'c';
        }),
        /The Forms Default has an invalid format: "c" is not one of the values/,
      );
      expect(
        withFirstVar(forms, (v) => {
          v.type = 'integer';
          v.widget = 'slider_range';
          v.values = [10, 1];
          v.default = 5;
        }),
        /slider_range takes exactly \[min, max\] with min < max/,
      );
      expect(
        withFirstVar(forms, (v) => {
          v.type = 'string';
          v.widget = 'switch';
          v.default = 'x';
        }),
        /The Forms Widget has an invalid format: widget "switch" does not edit type "string"/,
      );
      expect(
        withFirstVar(forms, (v) => {
          v.type = 'string';
          v.widget = 'cy_branch';
          v.source = 'nowhere';
        }),
        /The Forms File Branch Source has an invalid format$/,
      );
      expect(
        withFirstVar(forms, (v) => {
          v.validations = [{ regexp: '(a+)+\\1', error_message: 'x' }];
        }),
        /The Forms Validations has an invalid format: rule #1 regexp .* does not compile/,
      );
      expect(
        withFirstVar(forms, (_v, f) => {
          f.use_cases[0]!.sections[0]!.groups[0]!.condition = "$nothing == 'x'";
        }),
        /The Forms Condition has an invalid format: .* refers to "nothing"/,
      );
      expect(
        withFirstVar(forms, (v, f) => {
          f.use_cases[0]!.sections.at(-1)!
            .groups.at(-1)!
            .vars.push({ ...v });
        }),
        new RegExp(`use case "${uc}" - key "${key.replace(/[.]/g, '\\.')}" has been found twice$`),
      );
      expect(
        withFirstVar(forms, (_v, f) => {
          (f.use_cases[0]!.sections[0]!.groups[0]!.technologies as string[]).push('helm');
        }),
        /Forms Technology "helm" is unknown$/,
      );
    });
  }
});

const EXAMPLE = `version: "2"
use_cases:
- name: aws
  sections:
  - name: Cloud
    groups:
    - name: Access
      technologies: [pipeline]
      vars:
      - {name: AWS credential, key: aws_cred, widget: cy_cred, type: string,
         widget_config: {cred_types: [aws], display_keys: false}, default: "((aws))"}
      - {name: Region, key: aws_region, widget: auto_complete, type: string,
         values: [eu-west-1, eu-west-3], default: eu-west-1}
  - name: Sizing
    groups:
    - name: VM
      technologies: [terraform]
      vars:
      - {name: Size, key: vm_size, widget: radios, type: string, values: [S, M, L], default: M}
      - {name: Disk, key: module.vm.disk_gb, widget: slider_range, type: integer,
         values: [10, 500], default: 20, unit: GiB}
      - name: Type
        key: module.vm.type
        widget: dropdown
        type: string
        values: {options: [{condition: "$vm_size == 'L'", values: [big]}, {condition: "$vm_size != 'L'", values: [small, medium]}]}
        default: {options: [{condition: "$vm_size == 'L'", default: big}, {condition: "true", default: small}]}
      - name: Name
        key: module.vm.name
        widget: simple_text
        type: string
        validations: [{regexp: "^[a-z]+$", error_message: "lowercase letters only"}]
    - name: Extra disk
      technologies: [terraform]
      condition: "$vm_size == 'L'"
      vars:
      - {name: Extra, key: module.vm.extra_gb, widget: number, type: integer, default: 0}
`;

const SAMPLES = {
  variables: '# Expose variables to the pipeline.\n',
  terraform: {
    main: '# The VM\nmodule "vm" {\n  #####\n  source  = "./module-vm"\n  disk_gb = 8 # small\n\n  tags = {\n    disk_gb = 1\n  }\n}\n\nmodule "other" {\n  disk_gb = 1\n}\n',
  },
};

describe('interpolation', () => {
  const forms = valid(parseGoYaml(EXAMPLE).value).forms;
  const run = (values: any) => interpolate(forms, 'aws', values, { samples: SAMPLES, compileRegExp });

  it('writes the documented example: pipeline keys, module attributes, inactive groups skipped', () => {
    const r = run({
      Cloud: { Access: { aws_cred: '((aws))', aws_region: 'eu-west-3' } },
      Sizing: { VM: { vm_size: 'M', 'module.vm.disk_gb': 40, 'module.vm.name': 'web' } },
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.files.variables, '# Expose variables to the pipeline.\naws_cred: ((aws))\naws_region: eu-west-3\n');
    assert.equal(
      r.files.terraform.main,
      '# The VM\nmodule "vm" {\n  #####\n  source  = "./module-vm"\n  disk_gb = 40 # small\n\n  tags = {\n    disk_gb = 1\n  }\n  type = "small"\n  name = "web"\n}\n\nmodule "other" {\n  disk_gb = 1\n}\n\nvariable "vm_size" {\n  default = "M"\n}\n',
    );
    assert.ok(!r.vars.some((v) => v.v.key === 'module.vm.extra_gb'));
    // vm_size is no module attribute and the sample declares no such variable: one is added.
  });

  it('follows dynamic options and the group condition', () => {
    const r = run({ Sizing: { VM: { vm_size: 'L', 'module.vm.name': 'db' } } });
    assert.deepEqual(r.errors, []);
    assert.match(r.files.terraform.main!, /type = "big"/);
    assert.match(r.files.terraform.main!, /extra_gb = 0/);
  });

  it('refuses bad input naming section, group and key', () => {
    const r = run({
      Cloud: { Access: { aws_region: 7, nope: 1 }, Missing: {} },
      Sizing: { VM: { vm_size: 'XL', 'module.vm.disk_gb': 501, 'module.vm.type': 'big', 'module.vm.name': 'Web1' } },
      Other: {},
    });
    assert.deepEqual(r.errors, [
      'vars: key "nope" is not in group "Access" of section "Cloud"',
      'vars: group "Missing" is not in section "Cloud"',
      'vars: section "Other" is not in the form of use case "aws"',
      'vars: section "Cloud" group "Access" key "aws_region": 7 is not a string',
      'vars: section "Sizing" group "VM" key "vm_size": "XL" is not one of the allowed values',
      'vars: section "Sizing" group "VM" key "module.vm.disk_gb": 501 is outside [10, 500]',
      'vars: section "Sizing" group "VM" key "module.vm.type": "big" is not one of the allowed values',
      'vars: section "Sizing" group "VM" key "module.vm.name": "Web1": lowercase letters only',
    ]);
    assert.deepEqual(run({}).errors, []);
    assert.deepEqual(interpolate(forms, 'gcp', {}, { samples: SAMPLES, compileRegExp }).errors, [
      'use_case: "gcp" has no form',
    ]);
  });

  it('stops at its output budget', () => {
    const big = 'x'.repeat(1000);
    assert.throws(
      () =>
        interpolate(
          forms,
          'aws',
          { Sizing: { VM: { 'module.vm.name': 'a' } } },
          { samples: { ...SAMPLES, variables: `a: ${big}\n` }, compileRegExp, maxOutputBytes: 500 },
        ),
      FormsBudgetError,
    );
  });
});

describe('widgets and rules seen in catalogs beyond the fixtures', () => {
  const FORM = `
version: "2"
use_cases:
- name: default
  sections:
  - name: App
    groups:
    - name: Team
      technologies: [pipeline]
      vars:
      - name: Members
        key: members
        widget: dropdown
        type: array
        widget_config: {multiselect: true}
        values:
        - {label: Ann, value: ann@example.com}
        - {label: Bob, value: bob@example.com}
        default: [Ann]
      - name: Engine
        key: engine
        widget: radios
        type: map
        values: [{label: PostgreSQL, value: postgresql}, {label: MySQL, value: mysql}]
        default: PostgreSQL
      - name: Subnets
        key: subnets
        widget: cy_inventory_resource
        type: array
        widget_config: {attribute: id, filters: {type: aws_subnet}}
        validations:
        - array: {min_elems: 2}
          error_message: pick two subnets
        default: [subnet-a, subnet-b]
      - name: Networks
        key: networks
        widget: simple_text
        type: array
`;
  const samples = { variables: 'members: []\n' };
  const forms = () => valid(parseGoYaml(FORM).value);

  it('validates multiple choices, labelled radios, inventory lists and element-count rules', () => {
    assert.deepEqual(forms().errors, []);
  });

  it('stores the values of the chosen labels and checks each element and the count', () => {
    const run = (values: Record<string, unknown>) =>
      interpolate(forms().forms, 'default', { App: { Team: values } }, { samples, compileRegExp });
    const r = run({});
    assert.deepEqual(r.errors, []);
    assert.match(r.files.variables, /members:\n {2}- ann@example\.com\n/);
    assert.match(r.files.variables, /engine: postgresql\n/);
    assert.deepEqual(run({ members: ['Bob', 'Eve'], subnets: ['subnet-a'] }).errors, [
      'vars: section "App" group "Team" key "members": "Eve" is not one of the allowed values',
      'vars: section "App" group "Team" key "subnets": pick two subnets',
    ]);
  });

  it('accepts text areas of any type, numeric inventory attributes, quota mappings and templated values_ref', () => {
    const form = {
      use_cases: [
        {
          name: 'u',
          sections: [
            {
              name: 'S',
              groups: [
                {
                  name: 'G',
                  technologies: ['terraform'],
                  vars: [
                    { name: 'Multi-AZ', key: 'multiaz', widget: 'text_area', type: 'boolean' },
                    { name: 'Count', key: 'count', widget: 'number', type: 'integer' },
                    { name: 'VPC', key: 'vpc', widget: 'cy_inventory_resource', type: 'integer' },
                    {
                      name: 'Size',
                      key: 'size',
                      widget: 'slider_list',
                      type: 'map',
                      values: [{ label: 'XS', value: 't3.micro' }],
                      quota_config: { mapping: { 't3.micro': '2 cpu, 2 memory' }, count_ref: 'count' },
                    },
                    {
                      name: 'Owner',
                      key: 'owner',
                      widget: 'dropdown',
                      type: 'map',
                      values_ref: `https://values.example.com/v.json?owner=($ project_owner_canonical $)&r=\${region}`,
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    assert.deepEqual(valid(form).errors, []);
    const vars = form.use_cases[0]!.sections[0]!.groups[0]!.vars;
    vars[3]!.quota_config = { count_ref: 'count' } as any;
    vars[4]!.values_ref = 'https://values.example.com/a b';
    assert.equal(valid(form).errors.length, 2);
  });

  it('knows terragrunt, custom and templating groups (values not written here) and a use case without sections', () => {
    const text = `
use_cases:
- name: dev
  sections:
  - name: App
    groups:
    - name: Both
      technologies: [pipeline, terragrunt]
      vars:
      - {name: Region, key: region, widget: simple_text, type: string, default: us-west-1}
    - name: Shared
      technologies: [custom, terraform, templating]
      vars:
      - {name: Message, key: module.hello.message, widget: simple_text, type: string, default: hi}
- name: testenv
#  sections: commented out
`;
    const { errors, forms } = valid(parseGoYaml(text).value);
    assert.deepEqual(errors, []);
    assert.deepEqual(forms.use_cases[1], { name: 'testenv', sections: [] });
    const r = interpolate(
      forms,
      'dev',
      {},
      {
        samples: { variables: '', terraform: { main: 'module "hello" {\n  message = "x"\n}\n' } },
        compileRegExp,
      },
    );
    assert.deepEqual(r.errors, []);
    assert.equal(r.files.variables, 'region: us-west-1\n');
    assert.equal(r.files.terraform.main, 'module "hello" {\n  message = "hi"\n}\n');
    assert.deepEqual(valid(parseGoYaml(text.replace('terragrunt]', 'terraformish]')).value).errors.length, 1);
  });

  it('still refuses a multiple-choice default outside the values and a malformed count rule', () => {
    const bad = FORM.replace('default: [Ann]', 'default: [Zoe]').replace('min_elems: 2', 'min_elems: two');
    assert.deepEqual(
      valid(parseGoYaml(bad).value).errors.map((e) => e.replace(/^.*: The Forms /, '')),
      [
        'Default has an invalid format: "Zoe" is not one of the values',
        'Validations has an invalid format: rule #1 "array" takes min_elems and max_elems, counts of elements',
      ],
    );
  });
});
