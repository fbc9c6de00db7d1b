import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formsProblemLine, loadStackForms } from '../src/modules/catalog/stack-forms.js';

const context = { organization: 'org', project: 'shop', environment: 'prod', component: 'web' };
const lineOf = (text: string) => {
  const { problem } = loadStackForms(text, '4', context);
  assert.ok(problem, 'the file has a problem');
  return formsProblemLine(problem, text);
};

describe('the line of a forms problem', () => {
  it('is the line a YAML or template error names', () => {
    assert.equal(lineOf('use_cases:\n- name: a\n  sections: [\n'), 4);
    assert.equal(lineOf('use_cases:\n- name: a\n  description: ($ .project | nosuch $)\n'), 3);
  });

  it('is the line declaring the variable a validation error names', () => {
    const text = [
      'use_cases:',
      '- name: a',
      '  sections:',
      '  - name: S',
      '    groups:',
      '    - name: G',
      '      technologies: [pipeline]',
      '      vars:',
      '      - name: Fine',
      '        key: fine',
      '        widget: simple_text',
      '        type: string',
      '      - name: Broken',
      "        key: 'x'",
      '        widget: nope',
      '        type: string',
      '',
    ].join('\n');
    assert.equal(lineOf(text), 14);
  });

  it('is unknown when the message names neither', () => {
    assert.equal(formsProblemLine('something else went wrong', 'key: x\n'), undefined);
  });
});
