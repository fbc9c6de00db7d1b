// Stack rendering off the event loop: every render of a stack's templates and forms for a request runs
// on a worker thread of one pool per process, started on first use. The engines' step and size budgets
// stop a heavy template inside the worker; the pool's time limit ends one that is still running, and a
// full queue refuses at once (503) rather than letting every tenant's latency grow.
import type { Config } from '../../config.js';
import { ComputeError, ComputePool } from '../../platform/compute/pool.js';
import { sourceOrBuilt } from '../../platform/compute/rego.js';
import { AppError, unprocessable } from '../../platform/errors.js';
import type { tasks } from './render-task.js';

type Tasks = typeof tasks;
type Options = Config['render'];

const DEFAULTS: Options = { workers: 0, timeoutMs: 10_000, maxQueue: 64 };

let options: Options = DEFAULTS;
let holders = 0;
let pool: ComputePool | undefined;

/**
 * Declares a user of the render pool (a started catalog module) with the configuration's sizes; the
 * returned function lets go, and the last to let go closes the workers (app shutdown).
 */
export function holdRenderPool(config: Options): () => Promise<void> {
  options = config;
  holders++;
  let held = true;
  return async () => {
    if (!held) return;
    held = false;
    holders--;
    if (holders > 0 || !pool) return;
    const closing = pool;
    pool = undefined;
    await closing.close();
  };
}

function renderPool(): ComputePool {
  pool ??= new ComputePool(new URL(sourceOrBuilt('./render-task', import.meta.url), import.meta.url), {
    size: options.workers > 0 ? options.workers : undefined,
    taskTimeoutMs: options.timeoutMs,
    maxQueue: options.maxQueue,
    // A template that builds past its budgets ends its worker, not the server.
    maxHeapMb: 512,
  });
  return pool;
}

/**
 * Runs one render task on a worker. The stack's own failures come back as the 422 they are on the
 * request's thread; a render past the time limit is a 422 too (the stack's templates are too heavy),
 * a busy pool a 503 with Retry-After.
 */
export async function renderOnPool<K extends keyof Tasks>(
  task: K,
  payload: Parameters<Tasks[K]>[0],
): Promise<ReturnType<Tasks[K]>> {
  try {
    return await renderPool().run<ReturnType<Tasks[K]>>(task, payload);
  } catch (e) {
    if (!(e instanceof ComputeError)) throw e;
    if (e.code === 'task' && e.remote?.name === 'RenderFailure') {
      throw unprocessable(e.message, JSON.parse(String(e.remote.fields.details ?? '[]')) as string[]);
    }
    // A render that never got a worker within the limit says nothing of its stack: the pool is busy.
    const starved = e.code === 'timeout' && e.message.includes('waiting for a worker');
    if (e.code === 'overloaded' || e.code === 'closed' || starved) {
      throw new AppError('ServiceUnavailable', 'rendering the stack: the render workers are busy, retry shortly', [], {
        'retry-after': '1',
      });
    }
    if (e.code === 'timeout') {
      throw unprocessable(
        `service_catalog_ref: rendering the stack took longer than ${options.timeoutMs} ms; its templates do too much work`,
      );
    }
    // A worker that dies mid-render ran out of heap; one that never started is the server's own failure.
    if (e.code === 'crashed' && !e.message.includes('did not start')) {
      throw unprocessable('service_catalog_ref: rendering the stack used more memory than allowed');
    }
    throw e;
  }
}
