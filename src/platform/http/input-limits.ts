import { badRequest } from '../errors.js';

/**
 * What no request may carry, whatever its schema says: checked on path, query and body before
 * validation, so a client mistake is a 400 naming the place instead of a database error (PostgreSQL
 * refuses NUL in text, bind-parameter counts overflow, bigint columns overflow) or a deep recursion.
 */
export const INPUT_LIMITS = {
  /** Nesting of objects and arrays in a body. */
  depth: 64,
  /** Items in one array. */
  arrayItems: 1_000,
} as const;

/** Throws a 400 naming the first problem found under `location` (`body`, `query`, `path`). */
export function checkInputLimits(value: unknown, location: string): void {
  const problem = findProblem(value, location, 0);
  if (problem) throw badRequest(problem, [problem]);
}

function findProblem(value: unknown, at: string, depth: number): string | undefined {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? `${at}: must not contain NUL characters (\\u0000)` : undefined;
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) && !Number.isSafeInteger(value)
      ? `${at}: integers must be between -(2^53 - 1) and 2^53 - 1`
      : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= INPUT_LIMITS.depth) return `${at}: nested deeper than ${INPUT_LIMITS.depth} levels`;
  if (Array.isArray(value)) {
    if (value.length > INPUT_LIMITS.arrayItems) return `${at}: at most ${INPUT_LIMITS.arrayItems} items are allowed`;
    for (let i = 0; i < value.length; i++) {
      const problem = findProblem(value[i], `${at}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const key in value) {
    if (key.includes('\u0000')) return `${at}: field names must not contain NUL characters (\\u0000)`;
    const problem = findProblem((value as Record<string, unknown>)[key], `${at}.${key}`, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
