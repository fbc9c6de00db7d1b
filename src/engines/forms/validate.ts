// validateFormsFile: a forms file in either format -> the normalized tree and every problem found.

import { FormsError } from './errors.js';
import { conditionVariables, parseCondition } from './expr.js';
import {
  dynamicOptions,
  type FormGroup,
  type FormsFile,
  type FormUseCase,
  type FormVar,
  isMultiPick,
  isPlainObject,
  PICK_WIDGETS,
  TECHNOLOGIES,
  type Technology,
  VAR_TYPES,
  WIDGET_TYPES,
  WIDGETS,
  type Widget,
} from './model.js';
import { INVALID, type RawGroup, readStructure } from './structure.js';
import { describe, isLabelled, isTemplated, pickChoice, typeProblem } from './values.js';

/** Compiles a user's regular expression, throwing on bad syntax (linear-time engines only: see docs). */
export type RegExpCompiler = (source: string) => { test(input: string): boolean };

export interface ValidateOptions {
  compileRegExp: RegExpCompiler;
  /** Variables per use case beyond which the file is refused (bounds the work of one validation). */
  maxVars?: number;
}

export interface ValidationResult {
  errors: string[];
  forms: FormsFile;
}

const DEFAULT_MAX_VARS = 10_000;
const QUOTA_TYPES = new Set(['cpu', 'memory', 'storage']);
const ORIENTATIONS = new Set(['horizontal', 'vertical']);
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const MODULE_KEY = /^module\.[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*$/;

interface Place {
  useCase: string;
  section: string;
  group: string;
}

export function validateForms(file: unknown, options: ValidateOptions): ValidationResult {
  const structure = readStructure(file);
  const errors = [...structure.errors];
  const maxVars = options.maxVars ?? DEFAULT_MAX_VARS;
  const seenUseCases = new Set<string>();
  const useCases: FormUseCase[] = [];
  for (const uc of structure.useCases) {
    if (seenUseCases.has(uc.name)) errors.push(`${INVALID}use case "${uc.name}" has been found twice`);
    seenUseCases.add(uc.name);
    const out: FormUseCase = { name: uc.name, sections: [] };
    const groups: { group: FormGroup; place: Place; raw: RawGroup }[] = [];
    let count = 0;
    for (const section of uc.sections) {
      const groupsOut: FormGroup[] = [];
      for (const raw of section.groups) {
        const group = checkGroup(raw, errors);
        count += group.vars.length;
        groupsOut.push(group);
        groups.push({ group, place: { useCase: uc.name, section: section.name, group: group.name }, raw });
      }
      out.sections.push({ name: section.name, groups: groupsOut });
    }
    if (count > maxVars) {
      errors.push(`${INVALID}use case "${uc.name}" has ${count} variables, more than ${maxVars}`);
      useCases.push({ name: uc.name, sections: [] });
      continue;
    }
    checkUseCase(groups, errors, options);
    for (const { group } of groups) group.vars = group.vars.map(presentable);
    useCases.push(out);
  }
  return { errors, forms: { version: structure.version, use_cases: useCases } };
}

function checkGroup(raw: RawGroup, errors: string[]): FormGroup {
  const g = raw.group;
  const name = typeof g.name === 'string' ? g.name : '';
  const fail = (reason: string) =>
    errors.push(
      `${INVALID}use case "${raw.useCase}" invalid definition for group "${name}" in section "${raw.section}": ${reason}`,
    );
  if (name === '') fail('The Forms Group Name is missing');
  const technologies: Technology[] = [];
  if (!Array.isArray(g.technologies) || g.technologies.length === 0) {
    fail('The Forms Group Technologies are missing');
  } else {
    for (const t of g.technologies) {
      if ((TECHNOLOGIES as readonly unknown[]).includes(t)) technologies.push(t as Technology);
      else fail(`Forms Technology "${String(t)}" is unknown`);
    }
  }
  const group: FormGroup = { name, technologies, vars: [] };
  if (g.condition !== undefined && g.condition !== null) {
    if (typeof g.condition !== 'string') fail('The Forms Condition has an invalid format: a string is required');
    else group.condition = g.condition;
  }
  if (g.folded !== undefined && g.folded !== null) {
    if (typeof g.folded !== 'boolean') fail('The Forms Folded has an invalid format: a boolean is required');
    else group.folded = g.folded;
  }
  if (!Array.isArray(g.vars)) {
    fail('The Forms Variables have an invalid format: a list is required');
    return group;
  }
  g.vars.forEach((v, i) => {
    const shaped = shapeVar(v);
    if (typeof shaped === 'string') {
      const key = isPlainObject(v) && typeof v.key === 'string' ? v.key : `#${i + 1}`;
      errors.push(varMessage({ useCase: raw.useCase, section: raw.section, group: name }, key, shaped));
    } else {
      group.vars.push(shaped);
    }
  });
  return group;
}

/** The var with its four required attributes checked, or the reason it cannot be read. */
function shapeVar(v: unknown): FormVar | string {
  if (!isPlainObject(v)) return 'The Forms Variable has an invalid format: a map is required';
  if (typeof v.name !== 'string' || v.name === '')
    return 'The Forms Name has an invalid format: a non-empty string is required';
  if (typeof v.key !== 'string' || v.key.trim() === '')
    return 'The Forms Key has an invalid format: a non-empty string is required';
  if (!(WIDGETS as readonly unknown[]).includes(v.widget)) return 'The Forms Widget has an invalid format';
  if (!(VAR_TYPES as readonly unknown[]).includes(v.type)) return 'The Forms Type has an invalid format';
  // Stray spaces around a key (seen in public stacks) would name a different variable.
  return { ...v, key: v.key.trim() } as FormVar;
}

function varMessage(place: Place, key: string, reason: string): string {
  return `${INVALID}use case "${place.useCase}" invalid definition for variable "${key}" (key) in section "${place.section}" of "${place.group}": ${reason}`;
}

function checkUseCase(groups: { group: FormGroup; place: Place }[], errors: string[], options: ValidateOptions): void {
  const byKey = new Map<string, FormVar>();
  for (const { group, place } of groups) {
    for (const v of group.vars) {
      if (byKey.has(v.key)) errors.push(`${INVALID}use case "${place.useCase}" - key "${v.key}" has been found twice`);
      else byKey.set(v.key, v);
    }
  }
  for (const { group, place } of groups) {
    if (group.condition !== undefined) {
      const problem = conditionProblem(group.condition, byKey);
      if (problem) {
        errors.push(
          `${INVALID}use case "${place.useCase}" invalid definition for group "${group.name}" in section "${place.section}": The Forms Condition has an invalid format: ${problem}`,
        );
      }
    }
    for (const v of group.vars) {
      for (const reason of varProblems(v, byKey, options)) errors.push(varMessage(place, v.key, reason));
    }
  }
}

function conditionProblem(condition: string, byKey: Map<string, FormVar>): string | undefined {
  try {
    const expr = parseCondition(condition);
    for (const name of conditionVariables(expr)) {
      if (!byKey.has(name)) return `"${condition}" refers to "${name}", which is not a variable of the use case`;
    }
    return undefined;
  } catch (e) {
    if (e instanceof FormsError) return `"${condition}": ${e.message}`;
    throw e;
  }
}

function varProblems(v: FormVar, byKey: Map<string, FormVar>, options: ValidateOptions): string[] {
  const out: string[] = [];
  if (!KEY.test(v.key) || (v.key.startsWith('module.') && !MODULE_KEY.test(v.key))) {
    out.push(
      'The Forms Key has an invalid format: letters, digits, "_", "-" and "." only; module.<module>.<attribute> for Terraform',
    );
  }
  if (!WIDGET_TYPES[v.widget].includes(v.type)) {
    out.push(`The Forms Widget has an invalid format: widget "${v.widget}" does not edit type "${v.type}"`);
  }
  for (const attr of ['required', 'folded'] as const) {
    if (v[attr] !== undefined && v[attr] !== null && typeof v[attr] !== 'boolean') {
      out.push(`The Forms ${title(attr)} has an invalid format: a boolean is required`);
    }
  }
  for (const attr of ['description', 'unit'] as const) {
    if (v[attr] !== undefined && v[attr] !== null && typeof v[attr] !== 'string') {
      out.push(`The Forms ${title(attr)} has an invalid format: a string is required`);
    }
  }
  out.push(...valuesProblems(v, byKey));
  out.push(...defaultProblems(v, byKey));
  out.push(...widgetProblems(v, byKey));
  out.push(...validationProblems(v, options));
  if (v.depends_on !== undefined && v.depends_on !== null) {
    if (!Array.isArray(v.depends_on) || !v.depends_on.every((k) => typeof k === 'string')) {
      out.push('The Forms Depends On has an invalid format: a list of keys is required');
    } else {
      for (const k of v.depends_on) {
        if (!byKey.has(k))
          out.push(`The Forms Depends On has an invalid format: "${k}" is not a variable of the use case`);
      }
    }
  }
  if (v.quota_config !== undefined && v.quota_config !== null) {
    const q = v.quota_config;
    // A `mapping` of choice -> "N cpu, M memory" stands for the type (quota per picked size).
    if (!isPlainObject(q) || (!QUOTA_TYPES.has(q.type as string) && !isPlainObject(q.mapping))) {
      out.push(
        'The Forms Quota Config has an invalid format: "type" must be cpu, memory or storage (or a "mapping" given)',
      );
    } else if (q.count_ref !== undefined && (typeof q.count_ref !== 'string' || !byKey.has(q.count_ref))) {
      out.push(`The Forms Quota Config has an invalid format: "count_ref" must name a variable of the use case`);
    }
  }
  return out;
}

function title(attr: string): string {
  return attr
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/** Static `values`, or every list of a dynamic `{options}`; with the problems of the options themselves. */
function valueLists(v: FormVar, attr: 'values', byKey: Map<string, FormVar>, out: string[]): unknown[][] {
  const raw = v[attr];
  if (raw === undefined || raw === null) return [];
  const options = dynamicOptions(raw);
  if (!options) {
    if (!Array.isArray(raw)) {
      out.push('The Forms Values has an invalid format: a list or {options: [...]} is required');
      return [];
    }
    return [raw];
  }
  const lists: unknown[][] = [];
  options.forEach((o, i) => {
    const problem = optionProblem(o, i, byKey);
    if (problem) out.push(`The Forms Values has an invalid format: ${problem}`);
    else if (!Array.isArray(o.values))
      out.push(`The Forms Values has an invalid format: option #${i + 1} needs a "values" list`);
    else lists.push(o.values);
  });
  return lists;
}

function optionProblem(o: unknown, i: number, byKey: Map<string, FormVar>): string | undefined {
  if (!isPlainObject(o)) return `option #${i + 1} must be a map`;
  if (typeof o.condition !== 'string') return `option #${i + 1} needs a "condition"`;
  const problem = conditionProblem(o.condition, byKey);
  return problem ? `option #${i + 1}: ${problem}` : undefined;
}

function valuesProblems(v: FormVar, byKey: Map<string, FormVar>): string[] {
  const out: string[] = [];
  const lists = valueLists(v, 'values', byKey, out);
  for (const list of lists) {
    if (v.widget === 'slider_range') {
      const [min, max] = list as number[];
      if (list.length !== 2 || typeProblem(v.type, min) || typeProblem(v.type, max) || !(min! < max!)) {
        out.push('The Forms Values has an invalid format: slider_range takes exactly [min, max] with min < max');
      }
      continue;
    }
    // The choices of a multiple pick are its elements: any scalar, or {label, value}.
    const multi = isMultiPick(v);
    for (const entry of list) {
      const problem = isLabelled(entry)
        ? v.type === 'map' || v.type === 'raw' || multi
          ? undefined
          : `{label, value} choices need type map`
        : multi
          ? undefined
          : typeProblem(v.type, entry);
      if (problem) {
        out.push(`The Forms Values has an invalid format: ${problem}`);
        break;
      }
    }
  }
  if (v.values_ref !== undefined && v.values_ref !== null) {
    // `($ ... $)` in the URL is filled with the component's context when the form is shown.
    if (typeof v.values_ref !== 'string' || !/^https?:\/\/\S+$/i.test(withoutActions(v.values_ref))) {
      out.push('The Forms Values Ref has an invalid format: an http(s) URL is required');
    }
  }
  const hasChoices = lists.length > 0 || typeof v.values_ref === 'string';
  if (PICK_WIDGETS.has(v.widget) && !hasChoices && v.type !== 'boolean') {
    out.push(`The Forms Values has an invalid format: widget "${v.widget}" needs "values" or "values_ref"`);
  }
  if (v.widget === 'slider_range' && lists.length === 0) {
    out.push('The Forms Values has an invalid format: slider_range takes exactly [min, max] with min < max');
  }
  return out;
}

function defaultProblems(v: FormVar, byKey: Map<string, FormVar>): string[] {
  if (v.default === undefined || v.default === null) return [];
  const out: string[] = [];
  const options = v.type === 'map' ? undefined : dynamicOptions(v.default);
  const defaults: unknown[] = [];
  if (options) {
    options.forEach((o, i) => {
      const problem = optionProblem(o, i, byKey);
      if (problem) out.push(`The Forms Default has an invalid format: ${problem}`);
      else if (o.default !== undefined) defaults.push(o.default);
    });
  } else {
    defaults.push(v.default);
  }
  const staticValues = Array.isArray(v.values) ? v.values : undefined;
  for (const d of defaults) {
    const problem = defaultProblem(v, d, staticValues);
    if (problem) out.push(`The Forms Default has an invalid format: ${problem}`);
  }
  return out;
}

function defaultProblem(v: FormVar, d: unknown, values: unknown[] | undefined): string | undefined {
  if (d === null || (isTemplated(d) && v.type !== 'string')) return undefined;
  if (isMultiPick(v)) {
    if (!Array.isArray(d)) return `${describe(d)} is not an array`;
    const stray = values && d.find((element) => !pickChoice(values, element));
    return stray === undefined ? undefined : `${describe(stray)} is not one of the values`;
  }
  const labelled = values?.some(isLabelled);
  if (labelled) {
    return values!.some((c) => isLabelled(c) && (equal(c.label, d) || equal(c.value, d)))
      ? undefined
      : `${describe(d)} is not one of the values`;
  }
  const typeIssue = typeProblem(v.type, d);
  if (typeIssue) return typeIssue;
  if (!values) return undefined;
  if (v.widget === 'slider_range') {
    const [min, max] = values as number[];
    return (d as number) < min! || (d as number) > max! ? `${describe(d)} is outside [${min}, ${max}]` : undefined;
  }
  if (PICK_WIDGETS.has(v.widget) && !values.some((c) => equal(c, d))) return `${describe(d)} is not one of the values`;
  return undefined;
}

function equal(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b));
}

const SOURCE_WIDGETS: ReadonlySet<Widget> = new Set(['cy_crs', 'cy_scs']);

function widgetProblems(v: FormVar, byKey: Map<string, FormVar>): string[] {
  const out: string[] = [];
  const config = v.widget_config;
  if (config !== undefined && config !== null && !isPlainObject(config)) {
    return ['The Forms Widget Config has an invalid format: a map is required'];
  }
  if (v.widget === 'cy_branch' && v.source !== undefined && v.source !== null) {
    const source = typeof v.source === 'string' ? byKey.get(v.source) : undefined;
    if (!source || !SOURCE_WIDGETS.has(source.widget)) out.push('The Forms File Branch Source has an invalid format');
  } else if (v.source !== undefined && v.source !== null && v.widget !== 'cy_branch') {
    out.push('The Forms File Branch Source has an invalid format: only cy_branch takes a "source"');
  }
  if (!config) return out;
  if (v.widget === 'cy_cred') {
    if (config.cred_types !== undefined && !isStringList(config.cred_types)) {
      out.push('The Forms Widget Config has an invalid format: "cred_types" must be a list of credential types');
    }
    if (config.display_keys !== undefined && typeof config.display_keys !== 'boolean') {
      out.push('The Forms Widget Config has an invalid format: "display_keys" must be a boolean');
    }
  }
  if (v.widget === 'radios' && config.orientation !== undefined && !ORIENTATIONS.has(config.orientation as string)) {
    out.push('The Forms Widget Config has an invalid format: "orientation" must be horizontal or vertical');
  }
  return out;
}

function isStringList(v: unknown): boolean {
  return Array.isArray(v) && v.every((e) => typeof e === 'string');
}

function validationProblems(v: FormVar, options: ValidateOptions): string[] {
  if (v.validations === undefined || v.validations === null) return [];
  if (!Array.isArray(v.validations)) return ['The Forms Validations has an invalid format: a list is required'];
  const out: string[] = [];
  v.validations.forEach((rule, i) => {
    if (isPlainObject(rule) && rule.regexp === undefined && rule.array !== undefined) {
      const problem = arrayRuleProblem(rule.array);
      if (problem) out.push(`The Forms Validations has an invalid format: rule #${i + 1} ${problem}`);
      return;
    }
    if (!isPlainObject(rule) || typeof rule.regexp !== 'string') {
      out.push(`The Forms Validations has an invalid format: rule #${i + 1} needs a "regexp" (or "array")`);
      return;
    }
    if (rule.error_message !== undefined && typeof rule.error_message !== 'string') {
      out.push(`The Forms Validations has an invalid format: rule #${i + 1} "error_message" must be a string`);
    }
    try {
      options.compileRegExp(rule.regexp);
    } catch {
      out.push(
        `The Forms Validations has an invalid format: rule #${i + 1} regexp ${JSON.stringify(rule.regexp)} does not compile`,
      );
    }
  });
  return out;
}

/** The text with each `($ ... $)` action replaced by one character (a linear scan). */
function withoutActions(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const open = text.indexOf('($', at);
    const close = open < 0 ? -1 : text.indexOf('$)', open + 2);
    if (close < 0) return out + text.slice(at);
    out += `${text.slice(at, open)}x`;
    at = close + 2;
  }
}

function arrayRuleProblem(rule: unknown): string | undefined {
  const count = (n: unknown) => n === undefined || (typeof n === 'number' && Number.isInteger(n) && n >= 0);
  if (!isPlainObject(rule) || !count(rule.min_elems) || !count(rule.max_elems)) {
    return '"array" takes min_elems and max_elems, counts of elements';
  }
  return undefined;
}

const STRING_ATTRIBUTES = ['description', 'unit', 'values_ref', 'source'] as const;
const BOOLEAN_ATTRIBUTES = ['required', 'folded'] as const;

/**
 * The var as the tree answers it: an attribute of the wrong JSON type (already reported) is left out,
 * so the answer always fits the contract's FormEntity.
 */
function presentable(v: FormVar): FormVar {
  const out: FormVar = { ...v };
  for (const attr of STRING_ATTRIBUTES) if (out[attr] !== undefined && typeof out[attr] !== 'string') delete out[attr];
  for (const attr of BOOLEAN_ATTRIBUTES)
    if (out[attr] !== undefined && typeof out[attr] !== 'boolean') delete out[attr];
  if (out.depends_on !== undefined && !isStringList(out.depends_on)) delete out.depends_on;
  for (const attr of ['validations', 'mismatch_values'] as const) {
    if (out[attr] !== undefined && !Array.isArray(out[attr])) delete out[attr];
  }
  return out;
}
