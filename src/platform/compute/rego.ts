// Rego evaluation on the compute pool: the server's way to run a policy without blocking HTTP.
import { RegoError, type RegoErrorKind } from '../../engines/rego/index.js';
import { ComputeError, ComputePool, type PoolOptions } from './pool.js';
import type { RegoTaskPayload, RegoTaskResult } from './rego-task.js';

export type { RegoTaskPayload, RegoTaskResult } from './rego-task.js';

/**
 * A pool whose workers run Rego evaluations: a larger young generation (plans are big documents) and a
 * bounded heap (a policy that allocates without end loses its worker, not the server). `taskModule`
 * replaces the generic task module by a domain's own (which may reuse `compiledModules` from it).
 */
export function createRegoPool(opts: PoolOptions & { taskModule?: URL } = {}): ComputePool {
  const { taskModule, ...limits } = opts;
  const task = taskModule ?? new URL(sourceOrBuilt('./rego-task'), import.meta.url);
  return new ComputePool(task, { youngGenerationMb: 96, maxHeapMb: 1024, ...limits });
}

/**
 * The file name of a sibling module as the running code has it: `.ts` when running from sources (tests
 * under tsx), `.js` once built. Worker entries are resolved by URL, so they need the right extension.
 */
export function sourceOrBuilt(pathWithoutExtension: string, importMetaUrl: string = import.meta.url): string {
  return `${pathWithoutExtension}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`;
}

/**
 * Evaluates on a worker. Rego errors (parse, compile, evaluation, exceeded budget) come back as RegoError
 * with their location; a task that overruns the pool's hard time limit is a RegoError of kind `limit`;
 * an overloaded or closed pool is a ComputeError.
 */
export async function evaluateOnPool(pool: ComputePool, payload: RegoTaskPayload): Promise<RegoTaskResult> {
  // The engine's own clock stops it first; the pool's limit (a little later) ends a worker that is stuck.
  const hardLimit = payload.timeoutMs === undefined ? undefined : payload.timeoutMs + 1_000;
  try {
    return await pool.run<RegoTaskResult>('rego.evaluate', payload, { timeoutMs: hardLimit });
  } catch (e) {
    if (e instanceof ComputeError && e.code === 'task' && e.remote?.name === 'RegoError') {
      const f = e.remote.fields;
      throw new RegoError(f.kind as RegoErrorKind, String(f.detail ?? e.message), {
        file: String(f.file ?? ''),
        line: Number(f.line ?? 0),
        column: Number(f.column ?? 0),
      });
    }
    if (e instanceof ComputeError && e.code === 'timeout')
      throw new RegoError('limit', 'execution exceeded time limit');
    throw e;
  }
}
