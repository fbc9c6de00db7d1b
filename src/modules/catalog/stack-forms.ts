import { createHash } from 'node:crypto';
import {
  FormsError,
  type FormsFile,
  type FormUseCase,
  loadFormsText,
  validateForms,
} from '../../engines/forms/index.js';
import type { StackContext } from '../../engines/stacktpl/index.js';
import { linearRegExp } from '../../platform/text/linear-regexp.js';

/** A stack's `.forms.yml` once loaded: the forms, or why they cannot be used. */
export type StackForms = { forms: FormsFile; problem?: undefined } | { forms?: undefined; problem: string };

/**
 * Loads and validates a stack's stored forms text (rendered as a stack template first). Never throws
 * for a broken file: the problem is returned, naming the file and line when the engine knows them.
 */
export function loadStackForms(text: string, stackVersion: unknown, context: StackContext): StackForms {
  try {
    const loaded = loadFormsText(text, { stackVersion, context, name: '.forms.yml' });
    const { errors, forms } = validateForms(loaded.file, { compileRegExp: linearRegExp });
    if (errors.length > 0) return { problem: errors.join('; ') };
    return { forms };
  } catch (e) {
    if (e instanceof FormsError) return { problem: e.message };
    throw e;
  }
}

// Loading renders a template, parses YAML and compiles every validation regexp (milliseconds on the
// largest fixture): repeated reads of the same file reuse the result. Keyed by the text's digest, so a
// re-indexed stack never sees a stale entry.
const CACHE_SIZE = 256;
const cache = new Map<string, StackForms>();

/** loadStackForms, cached per forms text, stack version and templating context. */
export function cachedStackForms(text: string, stackVersion: unknown, context: StackContext): StackForms {
  const digest = createHash('sha256').update(text).digest('base64url');
  const key = `${digest}:${String(stackVersion)}:${JSON.stringify(context)}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const loaded = loadStackForms(text, stackVersion, context);
  cache.set(key, loaded);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return loaded;
}

/**
 * The line of `.forms.yml` a problem is about: the one the message names (YAML and template errors),
 * else the line declaring the variable it names (`variable "x"` → `key: x`), else none.
 */
export function formsProblemLine(problem: string, text: string): number | undefined {
  const named = /\.forms\.ya?ml:(\d+)/.exec(problem);
  if (named) return Number(named[1]);
  const variable = /variable "([^"]{1,200})"/.exec(problem)?.[1];
  if (variable === undefined) return undefined;
  const lines = text.split('\n');
  const index = lines.findIndex((line) => {
    const match = /^\s*-?\s*key:\s*(.*?)\s*$/.exec(line);
    return match !== null && match[1]!.replace(/^(['"])(.*)\1$/, '$2') === variable;
  });
  return index < 0 ? undefined : index + 1;
}

/** The form of one use case (forms name use cases as `.cycloid.yml` keys them). */
export function useCaseForm(forms: FormsFile | undefined, useCase: string): FormUseCase | undefined {
  return forms?.use_cases.find((u) => u.name === useCase);
}
