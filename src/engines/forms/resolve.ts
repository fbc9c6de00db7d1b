// Form values -> the value of every active variable: conditions, dynamic defaults and values, types,
// choices and regexp validations, with a message naming section, group and key for each problem.

import { FormsError } from './errors.js';
import { type Expr, evaluateCondition, parseCondition } from './expr.js';
import {
  dynamicOptions,
  type FormGroup,
  type FormUseCase,
  type FormValues,
  type FormVar,
  isPlainObject,
  type Technology,
} from './model.js';
import type { RegExpCompiler } from './validate.js';
import { describe, storedValue, valueProblem } from './values.js';

export interface ResolvedVar {
  section: string;
  group: string;
  technologies: Technology[];
  v: FormVar;
  value: unknown;
}

export interface Resolution {
  errors: string[];
  vars: ResolvedVar[];
}

interface Placed {
  section: string;
  group: FormGroup;
}

/** Conditions are parsed once per text: a file repeats the same few many times. */
function parsedCondition(cache: Map<string, Expr>, text: string): Expr {
  let expr = cache.get(text);
  if (!expr) {
    expr = parseCondition(text);
    cache.set(text, expr);
  }
  return expr;
}

/**
 * Resolves the values of a use case. Missing optional vars take their (dynamic) default, a required
 * one without a value is an error, and a section, group or key the form does not have is refused.
 */
export function resolveValues(uc: FormUseCase, input: FormValues, compileRegExp: RegExpCompiler): Resolution {
  const errors: string[] = [];
  const placed: Placed[] = uc.sections.flatMap((s) => s.groups.map((group) => ({ section: s.name, group })));
  checkInputShape(uc, input, errors);
  const given = new Map<string, unknown>();
  for (const { section, group } of placed) {
    const provided = input[section]?.[group.name];
    for (const v of group.vars) {
      if (provided && Object.hasOwn(provided, v.key) && provided[v.key] !== null) given.set(v.key, provided[v.key]);
    }
  }
  const conditions = new Map<string, Expr>();
  const current = new Map<string, unknown>(given);
  const lookup = (name: string) => current.get(name);
  const test = (condition: string) => evaluateCondition(parsedCondition(conditions, condition), lookup);
  // Dynamic defaults may read each other: two passes settle one level of dependency in any order.
  for (let pass = 0; pass < 2; pass++) {
    for (const { group } of placed) {
      for (const v of group.vars) {
        if (!given.has(v.key)) current.set(v.key, defaultOf(v, test));
      }
    }
  }
  const vars: ResolvedVar[] = [];
  for (const { section, group } of placed) {
    if (group.condition !== undefined && !test(group.condition)) continue;
    for (const v of group.vars) {
      const where = `vars: section "${section}" group "${group.name}" key "${v.key}"`;
      const value = current.get(v.key);
      if (value === undefined || value === null) {
        if (v.required === true) errors.push(`${where}: a value is required`);
        continue;
      }
      const choices = choicesOf(v, test);
      const problem = valueProblem(v, value, choices);
      if (problem) {
        errors.push(`${where}: ${problem}`);
        continue;
      }
      const failed = failedValidation(v, value, compileRegExp);
      if (failed) {
        errors.push(`${where}: ${failed}`);
        continue;
      }
      const stored = storedValue(v, value, choices);
      vars.push({ section, group: group.name, technologies: group.technologies, v, value: stored });
    }
  }
  return { errors, vars };
}

function checkInputShape(uc: FormUseCase, input: FormValues, errors: string[]): void {
  if (!isPlainObject(input)) {
    errors.push('vars: a map of section -> group -> key -> value is required');
    return;
  }
  for (const [sectionName, groups] of Object.entries(input)) {
    const section = uc.sections.find((s) => s.name === sectionName);
    if (!section) {
      errors.push(`vars: section "${sectionName}" is not in the form of use case "${uc.name}"`);
      continue;
    }
    if (!isPlainObject(groups)) {
      errors.push(`vars: section "${sectionName}" must be a map of groups`);
      continue;
    }
    for (const [groupName, keys] of Object.entries(groups)) {
      const group = section.groups.find((g) => g.name === groupName);
      if (!group) {
        errors.push(`vars: group "${groupName}" is not in section "${sectionName}"`);
        continue;
      }
      if (!isPlainObject(keys)) {
        errors.push(`vars: group "${groupName}" of section "${sectionName}" must be a map of keys`);
        continue;
      }
      for (const key of Object.keys(keys)) {
        if (!group.vars.some((v) => v.key === key)) {
          errors.push(`vars: key "${key}" is not in group "${groupName}" of section "${sectionName}"`);
        }
      }
    }
  }
}

function defaultOf(v: FormVar, test: (condition: string) => boolean): unknown {
  const options = v.type === 'map' ? undefined : dynamicOptions(v.default);
  if (!options) return v.default;
  return options.find((o) => test(o.condition))?.default;
}

function choicesOf(v: FormVar, test: (condition: string) => boolean): unknown[] | undefined {
  const options = dynamicOptions(v.values);
  if (options) return options.find((o) => test(o.condition))?.values;
  return Array.isArray(v.values) ? v.values : undefined;
}

function failedValidation(v: FormVar, value: unknown, compileRegExp: RegExpCompiler): string | undefined {
  if (!Array.isArray(v.validations)) return undefined;
  for (const rule of v.validations) {
    if (Array.isArray(value) && rule.array) {
      const { min_elems: min, max_elems: max } = rule.array;
      if ((min !== undefined && value.length < min) || (max !== undefined && value.length > max)) {
        return rule.error_message ?? `${value.length} elements, expected ${min ?? 0} to ${max ?? 'any number'}`;
      }
    }
    if (typeof value !== 'string' || rule.regexp === undefined) continue;
    let matcher: { test(input: string): boolean };
    try {
      matcher = compileRegExp(rule.regexp);
    } catch {
      throw new FormsError(`key "${v.key}": regexp ${JSON.stringify(rule.regexp)} does not compile`);
    }
    if (!matcher.test(value)) {
      return rule.error_message
        ? `${describe(value)}: ${rule.error_message}`
        : `${describe(value)} does not match ${rule.regexp}`;
    }
  }
  return undefined;
}
