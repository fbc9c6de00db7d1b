// The Rego engine's public interface: compile modules once, evaluate queries against input and data.
//
//   const compiled = compileModules([{ file: 'policy.rego', text }]);
//   const { value, prints } = evaluate(compiled, { query: 'data.example.deny', input });
import { type Compiled, compileModules, compileQuery } from './compile.js';
import { RegoError } from './errors.js';
import { type EvalOptions, Evaluator, type Print, type QueryResult } from './eval.js';
import { fromJSON, type Value } from './values.js';

export type { Compiled, Source } from './compile.js';
export { type Loc, RegoError, type RegoErrorKind } from './errors.js';
export type { EvalLimits, Print, QueryResult } from './eval.js';
export { display, equal, fromJSON, RObject, RSet, stringify, toJSON, type Value } from './values.js';
export { compileModules };

export interface EvaluateOptions extends Omit<EvalOptions, 'input' | 'data'> {
  query: string;
  /** The input document: plain JSON (as JSON.parse returns it) or a Rego value. */
  input?: unknown;
  /** The base data document (plain JSON or a Rego value); rules are merged into it. */
  data?: unknown;
}

export interface Evaluation {
  /** The first result's value: the query's value, or `undefined` when the query is undefined. */
  value: Value | undefined;
  /** Every result (only the first unless `allResults`). */
  results: QueryResult[];
  prints: Print[];
  steps: number;
}

/** Evaluate a query. Throws RegoError on parse, compile and evaluation errors and on exceeded limits. */
export function evaluate(compiled: Compiled, opts: EvaluateOptions): Evaluation {
  const cq = compileQuery(compiled, opts.query);
  const ev = new Evaluator(compiled, {
    ...opts,
    input: opts.input === undefined ? undefined : fromJSON(opts.input),
    data: opts.data === undefined ? undefined : fromJSON(opts.data),
  });
  let results: QueryResult[];
  try {
    results = ev.run(cq, opts.allResults ?? false);
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message))
      throw new RegoError('limit', 'evaluation exceeded its maximum depth');
    throw e;
  }
  return { value: results[0]?.value, results, prints: ev.prints, steps: ev.steps };
}
