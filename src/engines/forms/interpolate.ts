// Form values written into a use case's sample files: top-level keys of the pipeline variables and
// ansible YAML files, `module.<m>.<attr>` inside Terraform module blocks. Untouched text stays as it was.

import type * as YAML from 'yaml';
import { isMap, parseDocument } from 'yaml';
import { appendVariable, HclError, HclExpression, setModuleAttribute, setVariableDefault } from '../hcl/edit.js';
import { type Budgets, renderStackFile, type StackContext, TemplateError } from '../stacktpl/index.js';
import { FormsBudgetError, FormsError } from './errors.js';
import type { FormsFile, FormValues } from './model.js';
import { type ResolvedVar, resolveValues } from './resolve.js';
import type { RegExpCompiler } from './validate.js';
import { GO_YAML_OPTIONS } from './yaml.js';

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
  const limit = context.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  for (const rv of vars) {
    for (const technology of rv.technologies) {
      if (technology === 'pipeline') files.variables = setYamlKey(files.variables, rv.v.key, rv.value, 'variables');
      else if (technology === 'ansible') {
        for (const name of Object.keys(files.ansible)) {
          files.ansible[name] = setYamlKey(files.ansible[name]!, rv.v.key, rv.value, `ansible.${name}`);
        }
      } else {
        try {
          writeTerraform(files.terraform, rv, warnings);
        } catch (e) {
          // A value the sample cannot take (a `raw` text that is not an HCL expression): the input's fault.
          if (!(e instanceof HclError)) throw e;
          errors.push(
            `vars: section "${rv.section}" group "${rv.group}" key "${rv.v.key}": not an HCL expression (${e.message})`,
          );
        }
      }
    }
    checkSize(files, limit);
  }
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

/** Sets a top-level key of a YAML file, keeping its comments; an empty or comment-only file becomes a map. */
export function setYamlKey(text: string, key: string, value: unknown, name: string): string {
  const doc = parseDocument<YAML.Node, false>(text, GO_YAML_OPTIONS);
  if (doc.errors.length > 0) throw new FormsError(`${name}: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (doc.contents === null || doc.contents === undefined) {
    doc.contents = doc.createNode({});
  } else if (!isMap(doc.contents)) {
    throw new FormsError(`${name}: the file is not a map of variables`);
  }
  doc.set(key, doc.createNode(value));
  return doc.toString({ lineWidth: 0 });
}

function writeTerraform(samples: Record<string, string>, rv: ResolvedVar, warnings: string[]): void {
  const names = Object.keys(samples);
  const value = rv.v.type === 'raw' && typeof rv.value === 'string' ? new HclExpression(rv.value) : rv.value;
  const module = /^module\.([^.]+)\.([^.]+)$/.exec(rv.v.key);
  let found = false;
  for (const name of names) {
    const r = module
      ? setModuleAttribute(samples[name]!, module[1]!, module[2]!, value)
      : setVariableDefault(samples[name]!, rv.v.key, value);
    if (r.found) {
      samples[name] = r.text;
      found = true;
    }
  }
  if (found) return;
  if (module) {
    warnings.push(`key "${rv.v.key}": no terraform sample has module "${module[1]}"; the value is not written`);
  } else if (names.length > 0) {
    samples[names[0]!] = appendVariable(samples[names[0]!]!, rv.v.key, value);
  } else {
    warnings.push(`key "${rv.v.key}": the use case has no terraform sample; the value is not written`);
  }
}
