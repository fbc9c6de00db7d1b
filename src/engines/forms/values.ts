// Values against a variable's type and its allowed values.

import { type FormVar, isMultiPick, isPlainObject, type VarType } from './model.js';

/** Why `value` does not fit `type`, or undefined when it does. Integral floats are integers (CLI sends 1.0). */
export function typeProblem(type: VarType, value: unknown): string | undefined {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : `${describe(value)} is not an integer`;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${describe(value)} is not a number`;
    case 'string':
      return typeof value === 'string' ? undefined : `${describe(value)} is not a string`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${describe(value)} is not a boolean`;
    case 'array':
      return Array.isArray(value) ? undefined : `${describe(value)} is not an array`;
    case 'map':
      return isPlainObject(value) ? undefined : `${describe(value)} is not a map`;
    case 'raw':
      return undefined;
  }
}

/** A short description of a value for messages (never the whole of a large value). */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a map';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `{label, value}` entries: the choices of a map-typed dropdown. */
export function isLabelled(entry: unknown): entry is { label: unknown; value: unknown } {
  return isPlainObject(entry) && 'label' in entry && 'value' in entry;
}

/**
 * The value a choice stands for: a labelled choice is picked by its label or its value and stores
 * its value. Undefined when `value` is not among `choices`.
 */
export function pickChoice(choices: readonly unknown[], value: unknown): { value: unknown } | undefined {
  for (const choice of choices) {
    if (isLabelled(choice)) {
      if (equal(choice.label, value) || equal(choice.value, value)) return { value: choice.value };
    } else if (equal(choice, value)) {
      return { value: choice };
    }
  }
  return undefined;
}

export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What a checked value of `v` stores: labelled choices store their `value` (each one, for a list). */
export function storedValue(v: FormVar, value: unknown, choices: readonly unknown[] | undefined): unknown {
  if (!choices?.some(isLabelled)) return value;
  if (isMultiPick(v) && Array.isArray(value)) return value.map((element) => pickChoice(choices, element)!.value);
  return pickChoice(choices, value)!.value;
}

/** Whether a string default is still a stack template (`($ ... $)`), to be rendered before it is typed. */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && value.includes('($');
}

/** Problem of one value of `v` against its type, its choices (`values` already resolved) and range. */
export function valueProblem(v: FormVar, value: unknown, choices: readonly unknown[] | undefined): string | undefined {
  if (v.widget === 'slider_range' && choices?.length === 2) {
    const [min, max] = choices as number[];
    const problem = typeProblem(v.type, value);
    if (problem) return problem;
    if ((value as number) < min! || (value as number) > max!) return `${describe(value)} is outside [${min}, ${max}]`;
    return undefined;
  }
  if (isMultiPick(v)) {
    if (!Array.isArray(value)) return `${describe(value)} is not an array`;
    if (!choices) return undefined;
    const stray = value.find((element) => !pickChoice(choices, element));
    return stray === undefined ? undefined : `${describe(stray)} is not one of the allowed values`;
  }
  if (choices?.some(isLabelled)) {
    return pickChoice(choices, value) ? undefined : `${describe(value)} is not one of the allowed values`;
  }
  const problem = typeProblem(v.type, value);
  if (problem) return problem;
  if (choices && (v.widget === 'dropdown' || v.widget === 'radios' || v.widget === 'slider_list')) {
    if (!pickChoice(choices, value)) return `${describe(value)} is not one of the allowed values`;
  }
  return undefined;
}
