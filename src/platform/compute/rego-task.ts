// The Rego evaluation task run by compute workers. Compiled modules are cached per worker by source text,
// so evaluating the same policies again skips parsing and compiling.
import { type Compiled, compileModules, evaluate, type Print, type Source, toJSON } from '../../engines/rego/index.js';

export interface RegoTaskPayload {
  modules: Source[];
  query: string;
  /** Plain JSON. */
  input?: unknown;
  data?: unknown;
  maxSteps?: number;
  timeoutMs?: number;
  strictBuiltinErrors?: boolean;
}

export interface RegoTaskResult {
  defined: boolean;
  /** The query's value as JSON (sets as sorted arrays); null when undefined. */
  value: unknown;
  prints: Print[];
  steps: number;
}

const CACHE_SIZE = 32;
const compiledCache = new Map<string, Compiled>();

/** Modules compiled once per worker (by source text), most recently used kept. */
export function compiledModules(modules: Source[]): Compiled {
  const key = JSON.stringify(modules);
  let c = compiledCache.get(key);
  if (c) {
    compiledCache.delete(key);
    compiledCache.set(key, c);
    return c;
  }
  c = compileModules(modules);
  if (compiledCache.size >= CACHE_SIZE) compiledCache.delete(compiledCache.keys().next().value as string);
  compiledCache.set(key, c);
  return c;
}

export function evaluateTask(p: RegoTaskPayload): RegoTaskResult {
  const r = evaluate(compiledModules(p.modules), {
    query: p.query,
    input: p.input,
    data: p.data,
    maxSteps: p.maxSteps,
    timeoutMs: p.timeoutMs,
    strictBuiltinErrors: p.strictBuiltinErrors,
  });
  return {
    defined: r.value !== undefined,
    value: r.value === undefined ? null : toJSON(r.value),
    prints: r.prints,
    steps: r.steps,
  };
}

export const tasks = { 'rego.evaluate': evaluateTask };
