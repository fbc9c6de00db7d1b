// The HTTP process's side of policy evaluation: every compile and every plan check runs on a compute
// worker (evaluation-task.ts), never on the event loop, within the configured budgets.
import type { Config } from '../../config.js';
import { ComputeError, type ComputePool } from '../../platform/compute/pool.js';
import { createRegoPool, sourceOrBuilt } from '../../platform/compute/rego.js';
import { AppError, unprocessable } from '../../platform/errors.js';
import type {
  CompilePayload,
  PolicyOutcome,
  PolicySource,
  ValidatePayload,
  ValidateResult,
} from './evaluation-task.js';

/** Compiling one policy is quick; a body that takes longer than this to compile is refused. */
const COMPILE_TIMEOUT_MS = 5_000;
/** The worker's hard limit beyond the engine's own clock: a stuck worker is replaced after it. */
const GRACE_MS = 2_000;

export interface PolicyEvaluator {
  /** Compiles a policy about to be saved: a parse or compile error is a 422 naming line and column. */
  compile(policy: CompilePayload): Promise<void>;
  /** Checks a plan (still text) against policies: the outcome of each, or a 422 naming what is wrong. */
  validate(plan: string, tfrun: ValidatePayload['tfrun'], policies: PolicySource[]): Promise<PolicyOutcome[]>;
  close(): Promise<void>;
}

/** A Rego error's place and message, as responses word it: ` at line 3, column 7: unexpected token`. */
export function located(e: { line: number; column: number; detail: string }): string {
  return e.line > 0 ? ` at line ${e.line}, column ${e.column}: ${e.detail}` : `: ${e.detail}`;
}

function computeFailure(e: unknown, what: string): never {
  if (e instanceof ComputeError) {
    if (e.code === 'overloaded') {
      throw new AppError('ServiceUnavailable', `${what}: the policy workers are busy, retry shortly`, [], {
        'retry-after': '1',
      });
    }
    if (e.code === 'timeout') throw unprocessable(`${what}: exceeded the time limit`);
    // A worker that dies mid-task has run out of memory: the policy or the plan is too big to evaluate.
    if (e.code === 'crashed') throw unprocessable(`${what}: stopped, it used more memory than allowed`);
  }
  throw e;
}

export function createPolicyEvaluator(config: Config['infraPolicies']): PolicyEvaluator {
  let pool: ComputePool | undefined;
  // Workers start on first use: a process that never validates a plan runs none.
  const workers = () => {
    pool ??= createRegoPool({
      taskModule: new URL(sourceOrBuilt('./evaluation-task', import.meta.url), import.meta.url),
    });
    return pool;
  };
  return {
    async compile(policy) {
      try {
        await workers().run('infra-policy.compile', policy, { timeoutMs: COMPILE_TIMEOUT_MS });
      } catch (e) {
        if (e instanceof ComputeError && e.code === 'task' && e.remote?.name === 'RegoError') {
          const f = e.remote.fields as {
            kind?: string;
            file?: string;
            line?: number;
            column?: number;
            detail?: string;
          };
          const at = { line: f.line ?? 0, column: f.column ?? 0, detail: String(f.detail) };
          throw unprocessable(`body: ${f.kind === 'parse' ? 'syntax error' : 'invalid policy'}${located(at)}`, [
            `${f.file || policy.canonical}:${at.line}:${at.column}: ${at.detail}`,
          ]);
        }
        computeFailure(e, 'body: compiling the policy');
      }
    },
    async validate(tfplan, tfrun, policies) {
      const payload: ValidatePayload = { tfplan, tfrun, policies, ...config };
      let result: ValidateResult;
      try {
        result = await workers().run<ValidateResult>('infra-policy.validate', payload, {
          timeoutMs: config.timeoutMs + GRACE_MS,
        });
      } catch (e) {
        computeFailure(e, 'evaluating the infra policies');
      }
      if ('problem' in result) throw unprocessable(result.problem);
      return result.outcomes;
    },
    async close() {
      await pool?.close();
    },
  };
}
