import { RE2JS } from 're2js';

/**
 * Regular expressions on user input run in linear time: RE2's automaton never backtracks, so no
 * pattern (ours, the contract's or a user's) can be fed an input that makes it slow. Native RegExp
 * stays for fixed patterns of our own over bounded input.
 */
export interface LinearRegExp {
  test(input: string): boolean;
  toString(): string;
}

const compiled = new Map<string, LinearRegExp>();
const CACHE_LIMIT = 1_000;

/** Compiles (once per source) a pattern with RE2 semantics; throws on syntax RE2 lacks (backreferences, lookaround). */
export function linearRegExp(source: string): LinearRegExp {
  let regexp = compiled.get(source);
  if (!regexp) {
    const re2 = RE2JS.compile(source);
    // Ajv shares compiled patterns by their toString(): it must name the source, as RegExp's does.
    const text = `/${source}/`;
    regexp = { test: (input) => re2.test(input), toString: () => text };
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    compiled.set(source, regexp);
  }
  return regexp;
}

/** Ajv's `code.regExp` engine: every `pattern` keyword goes through RE2 (Ajv passes no flags we use). */
export const ajvLinearRegExp = Object.assign((source: string) => linearRegExp(source), {
  code: 'linearRegExp',
});
