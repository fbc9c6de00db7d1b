// A `.forms.yml` as a stack carries it: a stack template first (`($ ... $)`), YAML once rendered.

import { type Budgets, renderStackFile, type StackContext, TemplateError } from '../stacktpl/index.js';
import { FormsBudgetError, FormsError } from './errors.js';
import { parseGoYaml } from './yaml.js';

export interface LoadFormsOptions {
  /** `.cycloid.yml` `version` of the stack: it chooses the templating rules. */
  stackVersion: unknown;
  context?: StackContext;
  /** Name shown in messages (the file's path). */
  name?: string;
  budgets?: Partial<Budgets>;
}

export interface LoadedForms {
  /** The parsed document, ready for validateForms. */
  file: unknown;
  /** Template and YAML warnings (missing template keys, repeated keys). */
  warnings: string[];
}

/**
 * Renders the stack templating of a forms file, then parses the YAML as Go's yaml.v2 does.
 * Throws FormsError (FormsBudgetError when a budget ran out) naming the file and line.
 */
export function loadFormsText(text: string, options: LoadFormsOptions): LoadedForms {
  const name = options.name ?? '.forms.yml';
  let rendered: string;
  const warnings: string[] = [];
  try {
    const r = renderStackFile(text, {
      version: options.stackVersion,
      context: options.context ?? {},
      name,
      budgets: options.budgets,
    });
    rendered = r.output;
    for (const w of r.warnings) warnings.push(`${name}:${w.line ?? 0}: ${w.message}`);
  } catch (e) {
    if (e instanceof TemplateError) {
      throw e.kind === 'budget' ? new FormsBudgetError(e.message) : new FormsError(e.message);
    }
    if (e instanceof Error && /invalid stack version/.test(e.message)) throw new FormsError(e.message);
    throw e;
  }
  const parsed = parseGoYaml(rendered, name);
  for (const w of parsed.warnings) warnings.push(w.message);
  return { file: parsed.value, warnings };
}
