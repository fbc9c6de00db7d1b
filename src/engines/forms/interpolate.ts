// Form values written into a use case's sample files: top-level keys of the pipeline variables and
// ansible YAML files, `module.<m>.<attr>` inside Terraform module blocks. Untouched text stays as it was.

import { type AttributeEdit, appendVariables, applyEdits, HclError, HclExpression, hclLiteral } from '../hcl/edit.js';
import { type Budgets, renderStackFile, type StackContext, TemplateError } from '../stacktpl/index.js';
import { FormsBudgetError, FormsError } from './errors.js';
import type { FormsFile, FormValues } from './model.js';
import { type ResolvedVar, resolveValues } from './resolve.js';
import type { RegExpCompiler } from './validate.js';
import { setYamlKeys } from './yaml-edit.js';

/** The sample files of a use case, by technology (terraform and ansible by their name in `.cycloid.yml`). */
export interface Samples {
  variables?: string;
  terraform?: Record<string, string>;
  ansible?: Record<string, string>;
}

export interface InterpolateContext {
  samples: Samples;
  compileRegExp: RegExpCompiler;
  /** When given, samples are stack templates rendered (`($ ... $)`) before values are written. */
  template?: { stackVersion: unknown; context: StackContext; budgets?: Partial<Budgets> };
  /** Total size of the files written (default 16 MiB). */
  maxOutputBytes?: number;
}

export interface InterpolateResult {
  /** Problems of the input values (unknown keys, missing required values, wrong types): nothing written. */
  errors: string[];
  warnings: string[];
  vars: ResolvedVar[];
  files: Required<Samples>;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * Renders what a use case's form produces for `values`: the active variables and the sample files with
 * those values written in. Throws FormsError when a sample cannot be read or written (naming it), and
 * FormsBudgetError when the output would pass its budget.
 */
export function interpolate(
  forms: FormsFile,
  useCase: string,
  values: FormValues,
  context: InterpolateContext,
): InterpolateResult {
  const uc = forms.use_cases.find((u) => u.name === useCase);
  const files: Required<Samples> = { variables: '', terraform: {}, ansible: {} };
  if (!uc) return { errors: [`use_case: "${useCase}" has no form`], warnings: [], vars: [], files };
  const { errors, vars } = resolveValues(uc, values, context.compileRegExp);
  if (errors.length > 0) return { errors, warnings: [], vars, files };

  const render = (text: string, name: string) => renderSample(text, name, context);
  files.variables = render(context.samples.variables ?? '', 'variables');
  for (const [name, text] of Object.entries(context.samples.terraform ?? {}))
    files.terraform[name] = render(text, `terraform.${name}`);
  for (const [name, text] of Object.entries(context.samples.ansible ?? {}))
    files.ansible[name] = render(text, `ansible.${name}`);

  const warnings: string[] = [];
  // Each YAML file is edited once with all its keys: one parse per key would be quadratic.
  const pipeline: [string, unknown][] = [];
  const ansible: [string, unknown][] = [];
  const terraform: ResolvedVar[] = [];
  for (const rv of vars) {
    for (const technology of rv.technologies) {
      if (technology === 'pipeline') pipeline.push([rv.v.key, rv.value]);
      else if (technology === 'ansible') ansible.push([rv.v.key, rv.value]);
      else if (technology === 'terraform') terraform.push(rv);
    }
  }
  files.variables = setYamlKeys(files.variables, pipeline, 'variables');
  for (const [name, text] of Object.entries(files.ansible))
    files.ansible[name] = setYamlKeys(text, ansible, `ansible.${name}`);
  errors.push(...writeTerraform(files.terraform, terraform, warnings));
  checkSize(files, context.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  return { errors, warnings, vars, files };
}

function renderSample(text: string, name: string, context: InterpolateContext): string {
  if (!context.template) return text;
  try {
    return renderStackFile(text, {
      version: context.template.stackVersion,
      context: context.template.context,
      name,
      budgets: context.template.budgets,
    }).output;
  } catch (e) {
    if (e instanceof TemplateError)
      throw e.kind === 'budget' ? new FormsBudgetError(e.message) : new FormsError(e.message);
    throw e;
  }
}

function checkSize(files: Required<Samples>, limit: number): void {
  let size = files.variables.length;
  for (const t of Object.values(files.terraform)) size += t.length;
  for (const t of Object.values(files.ansible)) size += t.length;
  if (size > limit) throw new FormsBudgetError(`the rendered files pass ${limit} bytes`);
}

/** Sets one top-level key of a YAML file (see setYamlKeys). */
export function setYamlKey(text: string, key: string, value: unknown, name: string): string {
  return setYamlKeys(text, [[key, value]], name);
}

/** An HCL value of a var: `raw` text is an expression written as it stands. */
function hclValue(rv: ResolvedVar): unknown {
  return rv.v.type === 'raw' && typeof rv.value === 'string' ? new HclExpression(rv.value) : rv.value;
}

/**
 * Writes the terraform vars into every sample that has their block, one pass per sample. A plain key
 * sets the default of `variable "<key>"`, or declares it in the first sample when none has it.
 * Returns the input problems (a `raw` text that is not an HCL expression).
 */
function writeTerraform(samples: Record<string, string>, vars: ResolvedVar[], warnings: string[]): string[] {
  const errors: string[] = [];
  const usable: ResolvedVar[] = [];
  for (const rv of vars) {
    try {
      hclLiteral(hclValue(rv));
      usable.push(rv);
    } catch (e) {
      if (!(e instanceof HclError)) throw e;
      errors.push(
        `vars: section "${rv.section}" group "${rv.group}" key "${rv.v.key}": not an HCL expression (${e.message})`,
      );
    }
  }
  const edits: AttributeEdit[] = usable.map((rv) => {
    const module = /^module\.([^.]+)\.([^.]+)$/.exec(rv.v.key);
    return module
      ? { labels: ['module', module[1]!], attr: module[2]!, value: hclValue(rv) }
      : { labels: ['variable', rv.v.key], attr: 'default', value: hclValue(rv) };
  });
  const found = edits.map(() => false);
  const names = Object.keys(samples);
  for (const name of names) {
    let r: ReturnType<typeof applyEdits>;
    try {
      r = applyEdits(samples[name]!, edits);
    } catch (e) {
      if (e instanceof HclError) throw new FormsError(`terraform.${name}: ${e.message}`);
      throw e;
    }
    samples[name] = r.text;
    r.found.forEach((f, i) => {
      if (f) found[i] = true;
    });
  }
  const declared: [string, unknown][] = [];
  usable.forEach((rv, i) => {
    if (found[i]) return;
    const edit = edits[i]!;
    if (edit.labels[0] === 'module') {
      warnings.push(`key "${rv.v.key}": no terraform sample has module "${edit.labels[1]}"; the value is not written`);
    } else if (names.length > 0) {
      declared.push([rv.v.key, edit.value]);
    } else {
      warnings.push(`key "${rv.v.key}": the use case has no terraform sample; the value is not written`);
    }
  });
  if (declared.length > 0) samples[names[0]!] = appendVariables(samples[names[0]!]!, declared);
  return errors;
}
