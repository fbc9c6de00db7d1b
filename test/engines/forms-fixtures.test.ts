// Every fixture forms file validates without errors, and every use case with a form renders with
// the form's defaults into samples that still parse (YAML and HCL).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { interpolate, loadFormsText, validateForms } from '../../src/engines/forms/index.js';
import { checkBalanced, tokenize } from '../../src/engines/hcl/lex.js';
import { linearRegExp } from '../../src/platform/text/linear-regexp.js';
import { FIXTURE_CONTEXT, formsFixtures } from './forms-fixtures.js';

const fixtures = formsFixtures();

/**
 * Findings about the fixtures themselves: defaults that cannot be written as they are. The `raw`
 * default of `module.gke.node_pools` is HCL wrapped in an extra pair of quotes.
 */
const KNOWN_DEFAULT_PROBLEMS: Record<string, string> = {
  '2023/stack-kubernetes/.forms.yml gcp-gke': 'key "module.gke.node_pools": not an HCL expression',
};

describe('StackForms on the fixture stacks', { skip: fixtures.length === 0 ? 'no fixture stacks' : false }, () => {
  it('finds the forms files of both fixture years', () => {
    assert.ok(fixtures.length >= 30, `${fixtures.length} forms files`);
  });

  for (const fx of fixtures) {
    it(`${fx.label}: validates with no error and renders every use case with its defaults`, () => {
      const loaded = loadFormsText(fx.text, {
        stackVersion: fx.stackVersion,
        context: FIXTURE_CONTEXT,
        name: fx.label,
      });
      const { errors, forms } = validateForms(loaded.file, { compileRegExp: linearRegExp });
      assert.deepEqual(errors, []);
      assert.ok(forms.use_cases.length > 0);
      for (const uc of forms.use_cases) {
        const samples = fx.useCases.get(uc.name);
        if (!samples) continue; // a form for a use case .cycloid.yml does not have: nothing to render
        const r = interpolate(
          forms,
          uc.name,
          {},
          {
            samples,
            compileRegExp: linearRegExp,
            template: { stackVersion: fx.stackVersion, context: { ...FIXTURE_CONTEXT, useCase: uc.name } },
          },
        );
        const known = KNOWN_DEFAULT_PROBLEMS[`${fx.label} ${uc.name}`];
        const unexpected = r.errors.filter((e) => !e.endsWith('a value is required') && !(known && e.includes(known)));
        assert.deepEqual(unexpected, [], `${uc.name}`);
        if (known)
          assert.ok(
            r.errors.some((e) => e.includes(known)),
            `${uc.name}: ${known}`,
          );
        if (r.errors.length > 0) continue; // required values without a default: the user must give them
        const doc = parseDocument(r.files.variables, { version: '1.1' });
        assert.deepEqual(doc.errors, [], `${uc.name} variables`);
        for (const [name, text] of Object.entries(r.files.terraform)) {
          assert.doesNotThrow(() => checkBalanced(tokenize(text), text), `${uc.name} terraform.${name}`);
        }
      }
    });
  }
});
