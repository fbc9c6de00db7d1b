// Stack templating: versions, v1-v2 tokens, v3-v4 Go templates with every alias, the Cycloid rules
// (unclosed delimiters, inventory_jwt guard, missing keys), functions, errors and budgets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  knownStackVariables,
  literalTailStart,
  parseStackVersion,
  renderStackFile,
  renderTemplate,
  STACK_ALIASES,
  type StackContext,
  stackTemplateData,
  TemplateError,
} from '../../src/engines/stacktpl/index.js';

const ctx: StackContext = {
  organization: 'acme',
  organizationName: 'Acme Inc',
  project: 'web',
  environment: 'prod',
  component: 'api',
  useCase: 'default',
  catalogRepositoryUrl: 'git@example.com:acme/stacks.git',
  catalogRepositoryBranch: 'main',
  configRepositoryUrl: 'git@example.com:acme/config.git',
  configRepositoryBranch: 'config',
  configRepositoryCredentialType: 'ssh',
  apiUrl: 'https://api.example.com',
};

const render = (text: string, version: unknown = 4, context: StackContext = ctx) =>
  renderStackFile(text, { version, context, name: 'file.yml' });

describe('stack versions', () => {
  it('reads missing as 1 and quoted or bare numbers alike', () => {
    assert.equal(parseStackVersion(undefined), 1);
    assert.equal(parseStackVersion(''), 1);
    assert.equal(parseStackVersion(null), 1);
    assert.equal(parseStackVersion('2'), 2);
    assert.equal(parseStackVersion(2), 2);
    assert.equal(parseStackVersion(' 3 '), 3);
    assert.equal(parseStackVersion('4'), 4);
    assert.throws(() => parseStackVersion('5'), /invalid stack version/);
    assert.throws(() => parseStackVersion('v2'), /invalid stack version/);
  });

  it('renders v1 and v2 by fixed tokens, tolerating spaces, leaving unknown and empty ones', () => {
    const text =
      '($ project $)/($project$)/($  environment  $)/($ organization_canonical $)/($ .project $)/($ cr_url $)/($ stack_path $)';
    for (const version of [undefined, '1', 2, '2']) {
      const r = renderStackFile(text, { version, context: ctx, name: 'file.yml' });
      assert.equal(r.output, 'web/web/prod/acme/($ .project $)/git@example.com:acme/config.git/($ stack_path $)');
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0].message, /"stack_path"/);
    }
  });

  it('does not apply functions in v1/v2', () => {
    assert.equal(render('($ project | upper $)', 2).output, '($ project | upper $)');
  });
});

describe('v3/v4 Go templates with ($ $) delimiters', () => {
  it('renders the examples of real stacks', () => {
    const text = [
      'name: ($ list .org .project .env .component | join "-" $)-vm',
      '($- if eq .config_repository_credential_type "ssh" $)',
      'key: ((ssh))',
      '($- else $)',
      'key: ((basic))',
      '($- end $)',
      'dest: ($ .config_root $)/pipeline/variables.yml',
      'old: ($ .project $)/($ .environment $)/($ .component $)/terraform/main.tf',
      '{{ ansible stays }}',
    ].join('\n');
    assert.equal(
      render(text).output,
      [
        'name: acme-web-prod-api-vm',
        'key: ((ssh))',
        'dest: web/prod/api/pipeline/variables.yml',
        'old: web/prod/api/terraform/main.tf',
        '{{ ansible stays }}',
      ].join('\n'),
    );
  });

  it('gives every alias the same value', () => {
    const full: StackContext = {};
    for (const field of Object.keys(STACK_ALIASES) as (keyof typeof STACK_ALIASES)[]) full[field] = `v-${field}`;
    const data = stackTemplateData(full);
    for (const [field, names] of Object.entries(STACK_ALIASES)) {
      for (const n of names) assert.equal(data[n], `v-${field}`, n);
    }
    assert.equal(knownStackVariables().length, Object.values(STACK_ALIASES).flat().length + 4);
    for (const name of [
      'org',
      'organization_canonical',
      'scs_url',
      'catalog_repository_url',
      'cr_cred_path',
      'env_type_name',
      'stackform_last_update_user_can',
      'stackform_last_update_user_email',
    ]) {
      assert.ok(knownStackVariables().includes(name), name);
    }
  });

  it('computes config_root as <project>/<env>/<component> unless given', () => {
    assert.equal(render('($ .config_root $)').output, 'web/prod/api');
    assert.equal(render('($ .config_root $)', 4, { ...ctx, configRoot: 'x/y' }).output, 'x/y');
    assert.equal(render('[($ .config_root $)]', 4, { project: 'p' }).output, '[]');
  });

  it('exposes env_vars and env_providers maps under both prefixes', () => {
    const r = render('($ .env_vars.size $) ($ .environment_vars.size $) ($ .env_providers.aws.region $)', 4, {
      ...ctx,
      envVars: { size: 't3.small' },
      envProviders: { aws: { region: 'eu-west-1' } },
    });
    assert.equal(r.output, 't3.small t3.small eu-west-1');
  });

  it('renders a missing key as nothing and warns with line and column', () => {
    const r = render('a: 1\nb: "($ .nope $)"\nc: ($ .project $)');
    assert.equal(r.output, 'a: 1\nb: ""\nc: web');
    assert.deepEqual(r.warnings, [{ message: 'missing key "nope"', template: 'file.yml', line: 2, column: 7 }]);
    // Once per place, however many times a loop passes there.
    assert.equal(render('($ range until 5 $)($ $.nope $)($ end $)').warnings.length, 1);
  });

  it('keeps a line with an unclosed ($ literal', () => {
    const text = 'a: ($ .project $)\nrun: echo ($(date))\n  other ($ stuff\n';
    assert.equal(literalTailStart(text), text.indexOf('run:'));
    assert.equal(render(text).output, 'a: web\nrun: echo ($(date))\n  other ($ stuff\n');
    // A ($ closed on a later line is a multi-line action.
    assert.equal(render('x: ($ .project\n  | upper $)').output, 'x: WEB');
    assert.equal(literalTailStart('($ a $)\n($ b\n$)'), undefined);
    // Trim markers before the literal tail still apply.
    assert.equal(render('a ($- .project -$)\n  echo ($(date))').output, 'awebecho ($(date))');
  });

  it('refuses inventory_jwt without a JWT, in every version', () => {
    for (const [version, text] of [
      [4, 'address: ($ .api_url $)/inventory?jwt=($ .inventory_jwt $)'],
      [2, 'jwt: ($ inventory_jwt $)'],
      [3, 'jwt: ($inventory_jwt$)'],
    ] as const) {
      assert.throws(
        () => render(text, version),
        (e: TemplateError) =>
          e instanceof TemplateError && e.line === 1 && /inventory_jwt is referenced.*external backend/.test(e.message),
      );
    }
    // Wrapped references do not trip the guard; a JWT makes it render.
    assert.equal(render('($ if .inventory_jwt $)x($ end $)').output, '');
    assert.equal(render('($ .inventory_jwt $)', 4, { ...ctx, inventoryJwt: 'jwt' }).output, 'jwt');
    assert.equal(render('($ inventory_jwt $)', 2, { ...ctx, inventoryJwt: 'jwt' }).output, 'jwt');
    assert.equal(
      renderStackFile('($ .inventory_jwt $)', { version: 4, context: ctx, extraData: { inventory_jwt: 'x' } }).output,
      'x',
    );
  });

  it('suggests a variable when a function name is unknown', () => {
    assert.throws(() => render('a\n  ($ project $)'), {
      message: 'template: file.yml:2:5: function "project" not defined (did you mean ".project", a variable?)',
    });
  });

  it('reports execution errors with line and column', () => {
    assert.throws(
      () => render('a: 1\nb: ($ required "set the size" .size $)'),
      (e: TemplateError) =>
        e.line === 2 &&
        e.column === 6 &&
        e.message ===
          'template: file.yml:2:6: executing "file.yml" at <required "set the size" .size>: error calling required: set the size',
    );
  });

  it('has Helm include and tpl', () => {
    const text =
      '($- define "name" $)($ .project $)-($ .env $)($- end $)($ include "name" . | upper $) ($ tpl "($ .org $)" . $)';
    assert.equal(render(text).output, 'WEB-PROD acme');
  });
});

describe('functions', () => {
  const cases: Array<[string, string]> = [
    ['{{list "a" "b" "c" | join "-"}}', 'a-b-c'],
    ['{{"Hello" | upper}} {{"Hello" | lower}}', 'HELLO hello'],
    ['{{default "d" .missing}} {{default "d" "x"}} {{.missing | default "e"}}', 'd x e'],
    ['{{quote "a" 1 nil}} {{squote "b"}}', '"a" "1" \'b\''],
    ['{{replace "-" "_" "a-b-c"}} {{trim "  x  "}}', 'a_b_c x'],
    ['{{trimPrefix "v" "v1.2"}} {{trimSuffix ".git" "repo.git"}} {{trimAll "/" "/a/"}}', '1.2 repo a'],
    ['{{contains "b" "abc"}} {{hasPrefix "a" "abc"}} {{hasSuffix "c" "abc"}}', 'true true true'],
    ['{{"a,b" | splitList ","}} {{$p := split "." "x.y"}}{{$p._1}}', '[a b] y'],
    ['{{add 1 2 3}} {{sub 5 2}} {{mul 2 3}} {{div 7 2}} {{mod 7 2}} {{max 1 5 3}} {{min 4 2}}', '6 3 6 3 1 5 2'],
    ['{{until 3}} {{seq 3}} {{untilStep 0 6 2}}', '[0 1 2] 1 2 3 [0 2 4]'],
    ['{{$d := dict "a" 1 "b" "x"}}{{$d.b}} {{get $d "a"}} {{hasKey $d "a"}} {{keys $d}}', 'x 1 true [a b]'],
    ['{{toJson (dict "b" (list 1 "<x>") "a" true)}}', '{"a":true,"b":[1,"\\u003cx\\u003e"]}'],
    ['{{first (list 1 2)}} {{last (list 1 2)}} {{rest (list 1 2 3)}} {{has 2 (list 1 2)}}', '1 2 [2 3] true'],
    ['{{indent 2 "a\\nb"}}|{{nindent 2 "c"}}', '  a\n  b|\n  c'],
    ['{{ternary "y" "n" true}} {{empty ""}} {{coalesce "" "z"}}', 'y true z'],
    [
      '{{regexMatch "^[a-z]+$" "abc"}} {{regexReplaceAll "(a)(b)" "xaby" "$2$1"}} {{regexFind "[0-9]+" "ab12c"}}',
      'true xbay 12',
    ],
    ['{{b64enc "hi"}} {{b64dec "aGk="}} {{title "hello world"}} {{repeat 3 "ab"}}', 'aGk= hi Hello World ababab'],
    ['{{printf "%5.2f|%-4d|%x|%q|%v|%T" 3.14159 7 255 "a" (list 1 "b") 1.0}}', ' 3.14|7   |ff|"a"|[1 b]|float64'],
    [
      '{{kindOf (list)}} {{kindOf (dict)}} {{typeOf 1}} {{toString 2.5}} {{atoi "42"}} {{int "7"}}',
      'slice map int 2.5 42 7',
    ],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      assert.equal(renderTemplate(text, {}).output, want);
    });
  }

  it('leaves out env, expandenv and clock functions', () => {
    for (const f of ['env', 'expandenv', 'now', 'randAlpha', 'uuidv4']) {
      assert.throws(() => renderTemplate(`{{${f}}}`, {}), new RegExp(`function "${f}" not defined`));
    }
  });
});

describe('budgets', () => {
  it('stops a self-including template', () => {
    assert.throws(
      () => render('($ define "a" $)($ include "a" . $)($ end $)($ include "a" . $)'),
      (e: TemplateError) => e.kind === 'budget' && /exceeded maximum template depth \(200\)/.test(e.message),
    );
    assert.throws(
      () => renderTemplate('{{define "t"}}{{tpl "{{template \\"t\\" .}}" .}}{{end}}{{template "t" .}}', {}),
      (e: TemplateError) => e.kind === 'budget',
    );
  });

  it('stops a range over a huge value', () => {
    const started = Date.now();
    assert.throws(
      () => renderTemplate('{{range 1000000000000}}x{{end}}', {}, { budgets: { maxSteps: 100_000 } }),
      (e: TemplateError) => e.kind === 'budget' && /step budget/.test(e.message) && e.line === 1,
    );
    assert.throws(
      () => renderTemplate('{{range until 1000000000}}x{{end}}', {}),
      (e: TemplateError) => e.kind === 'budget',
    );
    assert.ok(Date.now() - started < 5000);
  });

  it('stops a 1 GB expansion', () => {
    const doubling = '{{$s := "0123456789abcdef"}}{{range 40}}{{$s = print $s $s}}{{end}}{{$s}}';
    assert.throws(
      () => renderTemplate(doubling, {}),
      (e: TemplateError) => e.kind === 'budget',
    );
    assert.throws(
      () => renderTemplate('{{repeat 1000000000 "a"}}', {}),
      (e: TemplateError) => e.kind === 'budget',
    );
    assert.throws(
      () => renderTemplate('{{printf "%1000000000d" 1}}', {}),
      (e: TemplateError) => e.kind === 'budget',
    );
    assert.throws(
      () => renderTemplate('{{range 100000}}0123456789{{end}}', {}, { budgets: { maxOutputBytes: 100_000 } }),
      (e: TemplateError) => e.kind === 'budget' && /output budget/.test(e.message),
    );
  });

  it('fails only with template errors on random token soup', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const atoms = [
      '{{',
      '}}',
      '{{-',
      '-}}',
      ' ',
      '.',
      '.a',
      '.b.c',
      '$',
      '$x',
      ':=',
      '=',
      '|',
      '(',
      ')',
      'if',
      'else',
      'end',
      'range',
    ];
    atoms.push(
      'with',
      'define',
      'template',
      'block',
      'break',
      'continue',
      '"s"',
      '`r`',
      "'c'",
      '1',
      '-2',
      '3.5',
      '0x1f',
    );
    atoms.push(
      '1i',
      'nil',
      'true',
      'index',
      'slice',
      'len',
      'print',
      'printf',
      '"%d %v %q"',
      'eq',
      'lt',
      'and',
      'or',
      'not',
    );
    atoms.push(
      'list',
      'dict',
      'join',
      'default',
      'include',
      'tpl',
      'toJson',
      'until',
      'repeat',
      'upper',
      '/*',
      '*/',
      '\n',
      ',',
    );
    const data = { a: 1, b: { c: [1, 'two', null, { d: true }] } };
    for (let i = 0; i < 3000; i++) {
      let t = '';
      for (let j = 1 + rnd(25); j > 0; j--) t += atoms[rnd(atoms.length)];
      try {
        renderTemplate(t, data, { budgets: { maxSteps: 10_000, maxOutputBytes: 100_000 } });
      } catch (e) {
        assert.ok(e instanceof TemplateError, `${JSON.stringify(t)}: ${e}`);
      }
    }
  });

  it('survives deep nesting', () => {
    const deep = `${'{{if true}}'.repeat(5000)}x${'{{end}}'.repeat(5000)}`;
    assert.throws(
      () => renderTemplate(deep, {}),
      (e: TemplateError) => e instanceof TemplateError,
    );
    const parens = `{{${'('.repeat(5000)}1${')'.repeat(5000)}}}`;
    assert.throws(
      () => renderTemplate(parens, {}),
      (e: TemplateError) => e instanceof TemplateError,
    );
  });
});
