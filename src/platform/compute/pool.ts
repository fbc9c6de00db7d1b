// A small fixed pool of worker threads that run CPU-bound tasks off the event loop. Each worker loads one
// task module (a file exporting `tasks: Record<string, (payload) => result>`); a task that runs past its
// time limit gets its worker terminated and replaced, and a full queue refuses new work at once instead
// of letting latency grow without bound.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export type ComputeErrorCode = 'timeout' | 'overloaded' | 'closed' | 'crashed' | 'task';

/** A task that could not run or complete. `task` errors carry the task's own error name and fields. */
export class ComputeError extends Error {
  readonly code: ComputeErrorCode;
  /** For `task` errors: the error's name in the worker and its own enumerable fields. */
  readonly remote: { name: string; fields: Record<string, unknown> } | null;
  constructor(code: ComputeErrorCode, message: string, remote: ComputeError['remote'] = null) {
    super(message);
    this.name = 'ComputeError';
    this.code = code;
    this.remote = remote;
  }
}

export interface PoolOptions {
  /** Number of workers (default: available cores minus one, at least 1, at most 4). */
  size?: number;
  /** Time limit per task in milliseconds, including time spent waiting in the queue but not a new worker's start-up (default 10,000). */
  taskTimeoutMs?: number;
  /** Tasks allowed to wait for a worker before new ones are refused (default 64). */
  maxQueue?: number;
  /**
   * Young-generation size of each worker's heap in MB (default: Node's). Tasks that parse large
   * documents (a 1 MB plan is ~20 MB of objects) spend less time in garbage collection with more.
   */
  youngGenerationMb?: number;
  /**
   * Old-generation heap limit of each worker in MB (default: Node's). A task that allocates past it
   * ends its worker (the task fails with `crashed`, the worker is replaced), not the server.
   */
  maxHeapMb?: number;
}

interface Job {
  id: number;
  task: string;
  payload: unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timeoutMs: number;
  timer: NodeJS.Timeout | null;
  queuedAt: number;
  /** Milliseconds spent waiting for a worker. */
  waited: number;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  /** The worker has loaded its task module. */
  ready: boolean;
}

const STARTUP_MS = 30_000;

/**
 * A worker running `worker.js` beside this file. From sources (tests under tsx), the worker is
 * `worker.ts`, and a worker's entry does not go through the parent's tsx loader on every Node
 * version, so a two-line bootstrap registers tsx in the worker first and then imports the entry.
 */
function startWorker(workerData: unknown, limits: { youngMb?: number; heapMb?: number }): Worker {
  const resourceLimits = {
    ...(limits.youngMb ? { maxYoungGenerationSizeMb: limits.youngMb } : {}),
    ...(limits.heapMb ? { maxOldGenerationSizeMb: limits.heapMb } : {}),
  };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./worker.js', import.meta.url), { workerData, resourceLimits });
  const entry = new URL('./worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData, resourceLimits });
}

export class ComputePool {
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly limits: { youngMb?: number; heapMb?: number };
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  /** `taskModule`: the file URL of a module exporting `tasks` (resolved inside the worker). */
  constructor(
    private readonly taskModule: URL,
    opts: PoolOptions = {},
  ) {
    this.size = Math.max(1, opts.size ?? Math.min(4, Math.max(1, availableParallelism() - 1)));
    this.timeoutMs = opts.taskTimeoutMs ?? 10_000;
    this.maxQueue = opts.maxQueue ?? 64;
    this.limits = { youngMb: opts.youngGenerationMb, heapMb: opts.maxHeapMb };
  }

  /** Runs `task` with `payload` (structured-cloned both ways) on a worker. */
  run<T>(task: string, payload: unknown, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ComputeError('closed', 'the compute pool is closed'));
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        task,
        payload,
        resolve: resolve as (v: unknown) => void,
        reject,
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        timer: null,
        queuedAt: Date.now(),
        waited: 0,
      };
      const idle = this.idleSlot();
      if (idle) return this.start(idle, job);
      if (this.queue.length >= this.maxQueue) {
        reject(new ComputeError('overloaded', `compute pool overloaded: ${this.queue.length} tasks already waiting`));
        return;
      }
      // The time limit runs from submission: a task that waits too long fails instead of running late.
      job.timer = setTimeout(() => {
        const i = this.queue.indexOf(job);
        if (i >= 0) this.queue.splice(i, 1);
        job.reject(
          new ComputeError('timeout', `task ${task} timed out after ${job.timeoutMs} ms (waiting for a worker)`),
        );
      }, job.timeoutMs);
      this.queue.push(job);
    });
  }

  /** Tasks waiting for a worker, and workers busy. */
  stats(): { queued: number; busy: number; workers: number } {
    return { queued: this.queue.length, busy: this.slots.filter((s) => s.job).length, workers: this.slots.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      if (job.timer) clearTimeout(job.timer);
      job.reject(new ComputeError('closed', 'the compute pool is closed'));
    }
    await Promise.all(
      this.slots.splice(0).map((s) => {
        if (s.job) {
          if (s.job.timer) clearTimeout(s.job.timer);
          s.job.reject(new ComputeError('closed', 'the compute pool is closed'));
        }
        return s.worker.terminate();
      }),
    );
  }

  private idleSlot(): Slot | null {
    const idle = this.slots.find((s) => s.job === null);
    if (idle) return idle;
    if (this.slots.length < this.size) {
      const slot = this.spawn();
      this.slots.push(slot);
      return slot;
    }
    return null;
  }

  private spawn(): Slot {
    const worker = startWorker({ taskModule: this.taskModule.href }, this.limits);
    const slot: Slot = { worker, job: null, ready: false };
    worker.unref();
    worker.on('message', (msg: { id: number; ok: boolean; ready?: boolean; result?: unknown; error?: RemoteError }) => {
      if (msg.ready) {
        slot.ready = true;
        if (slot.job) this.arm(slot, slot.job);
        return;
      }
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      this.finish(slot);
      if (msg.ok) job.resolve(msg.result);
      else {
        const e = msg.error!;
        job.reject(new ComputeError('task', e.message, { name: e.name, fields: e.fields }));
      }
    });
    worker.on('error', (e) => this.lose(slot, new ComputeError('crashed', `compute worker failed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (slot.job) this.lose(slot, new ComputeError('crashed', `compute worker exited with code ${code}`));
      else this.remove(slot);
    });
    return slot;
  }

  private start(slot: Slot, job: Job): void {
    job.waited = Date.now() - job.queuedAt;
    slot.job = job;
    slot.worker.ref();
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    slot.worker.postMessage({ id: job.id, task: job.task, payload: job.payload });
    if (slot.ready) this.arm(slot, job);
    else {
      // A new worker's start-up (loading its task module) does not count against the task's limit,
      // but a worker that does not start at all is given up on.
      job.timer = setTimeout(() => {
        this.lose(slot, new ComputeError('crashed', `compute worker did not start within ${STARTUP_MS} ms`));
      }, STARTUP_MS);
    }
  }

  /** The task's time limit, less what it spent waiting in the queue. */
  private arm(slot: Slot, job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    const left = Math.max(1, job.timeoutMs - job.waited);
    job.timer = setTimeout(() => {
      this.lose(slot, new ComputeError('timeout', `task ${job.task} timed out after ${job.timeoutMs} ms`));
    }, left);
  }

  private finish(slot: Slot): void {
    const job = slot.job;
    if (job?.timer) clearTimeout(job.timer);
    slot.job = null;
    slot.worker.unref();
    this.drain(slot);
  }

  /** The slot's worker is gone or must go: fail its job, terminate it, and keep the queue moving. */
  private lose(slot: Slot, error: ComputeError): void {
    const job = slot.job;
    slot.job = null;
    if (job) {
      if (job.timer) clearTimeout(job.timer);
      job.reject(error);
    }
    this.remove(slot);
    void slot.worker.terminate();
    if (!this.closed && this.queue.length > 0) {
      const fresh = this.spawn();
      this.slots.push(fresh);
      this.drain(fresh);
    }
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private drain(slot: Slot): void {
    if (this.closed || slot.job) return;
    const next = this.queue.shift();
    if (next) this.start(slot, next);
  }
}

interface RemoteError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}
