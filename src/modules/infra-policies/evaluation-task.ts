// The compute-worker side of infra policies (loaded by worker threads, never by the HTTP process): compile
// a policy being saved, and check a plan against a set of policies within one time budget. Compiled
// policies are cached per worker by source text (platform/compute/rego-task.ts).
import { type Compiled, evaluate, RegoError, toJSON } from '../../engines/rego/index.js';
import { compiledModules } from '../../platform/compute/rego-task.js';
import { readPlan } from './plan.js';

export interface PolicySource {
  canonical: string;
  body: string;
}

export type CompilePayload = PolicySource;

export interface ValidatePayload {
  /** The plan as the client sent it: parsed here, off the event loop. */
  tfplan: string;
  /** `input.tfrun`: where the plan is applied. */
  tfrun: Record<string, unknown>;
  policies: PolicySource[];
  /** Step budget of each policy. */
  maxSteps: number;
  /** Time budget of the whole validation, in ms. */
  timeoutMs: number;
}

/** Why a policy could not be evaluated, with its place in the policy's source when known. */
export interface PolicyFailure {
  kind: RegoError['kind'];
  line: number;
  column: number;
  detail: string;
}

/** `reasons` null: the policy is respected (its `deny` is undefined or empty). */
export type PolicyOutcome =
  | { canonical: string; reasons: string[] | null }
  | { canonical: string; failure: PolicyFailure };

export type ValidateResult = { problem: string } | { outcomes: PolicyOutcome[] };

/** The file name errors name: the policy's canonical. */
const policyFile = (canonical: string) => `${canonical}.rego`;

function compile(policy: PolicySource): Compiled {
  return compiledModules([{ file: policyFile(policy.canonical), text: policy.body }]);
}

/** `data.<package>.deny`, with path segments that are not identifiers quoted. */
export function denyQuery(compiled: Compiled): string {
  const path = compiled.modules[0]!.pkg.slice(1);
  return `data${path.map((s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('')}.deny`;
}

/** A `deny` value as reasons: the messages of a set (non-strings as JSON), none when it is empty or false. */
function reasonsOf(value: unknown): string[] | null {
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (value === null || value === false || value === undefined) return null;
  if (Array.isArray(value)) return value.length > 0 ? value.map(text).sort() : null;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length > 0 ? entries.map(([k, v]) => `${k}: ${text(v)}`).sort() : null;
  }
  // `deny = true` (a complete rule): violated, with no message of its own.
  if (value === true) return [];
  return [text(value)];
}

function failureOf(e: unknown): PolicyFailure {
  if (e instanceof RegoError) return { kind: e.kind, line: e.line, column: e.column, detail: e.detail };
  if (e instanceof RangeError)
    return { kind: 'limit', line: 0, column: 0, detail: 'evaluation exceeded its maximum depth' };
  throw e;
}

/** Compiles a policy being saved; its errors (RegoError, with line and column) go back to the caller. */
function compileTask(p: CompilePayload): { query: string } {
  try {
    return { query: denyQuery(compile(p)) };
  } catch (e) {
    // The parser and compiler recurse on nested expressions: thousands of brackets exhaust the stack.
    if (e instanceof RangeError) throw new RegoError('limit', 'the policy nests expressions too deeply to compile');
    throw e;
  }
}

/**
 * Parses the plan once and evaluates every policy's `deny` on it. Each policy gets what is left of the
 * time budget; a policy that fails (compile error, built-in error, exceeded budget) is reported by name
 * and the others are still evaluated.
 */
function validateTask(p: ValidatePayload): ValidateResult {
  const started = Date.now();
  const reading = readPlan(p.tfplan);
  if ('problem' in reading) return reading;
  const input = { tfplan: reading.plan, tfrun: p.tfrun };
  const outcomes: PolicyOutcome[] = [];
  for (const policy of p.policies) {
    const left = p.timeoutMs - (Date.now() - started);
    if (left <= 0) {
      const detail = `not evaluated: the validation's time limit of ${p.timeoutMs} ms was reached`;
      outcomes.push({ canonical: policy.canonical, failure: { kind: 'limit', line: 0, column: 0, detail } });
      continue;
    }
    try {
      const compiled = compile(policy);
      const r = evaluate(compiled, { query: denyQuery(compiled), input, maxSteps: p.maxSteps, timeoutMs: left });
      outcomes.push({
        canonical: policy.canonical,
        reasons: reasonsOf(r.value === undefined ? undefined : toJSON(r.value)),
      });
    } catch (e) {
      outcomes.push({ canonical: policy.canonical, failure: failureOf(e) });
    }
  }
  return { outcomes };
}

export const tasks = { 'infra-policy.compile': compileTask, 'infra-policy.validate': validateTask };
