import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import type { Notifications } from '../db/notifications.js';
import type { JobContext, JobDefinition, ScheduleDefinition } from './kinds.js';
import { parseEvery } from './kinds.js';
import {
  buryAbandoned,
  claimJobs,
  completeJob,
  completeJobs,
  enqueue,
  failJob,
  JOBS_CHANNEL,
  type JobRow,
  nextDueAt,
  renewLeases,
} from './queue.js';

export interface RunnerOptions {
  db: Db;
  notifications: Notifications;
  log: FastifyBaseLogger;
  jobs: JobDefinition[];
  schedules?: ScheduleDefinition[];
  /** This runner's name in the workers table (a random suffix tells its leases from a namesake's). */
  name: string;
  tags?: string[];
  /** Jobs run at once. */
  concurrency?: number;
  /** How long a claimed job stays this runner's without renewal; a dead runner's jobs wait this long. */
  leaseMs?: number;
  /** Longest wait between two looks at the queue when no notification arrives (a fallback). */
  pollMs?: number;
}

class TimedOut extends Error {}

/** Collects items added during one turn of the event loop and handles them with one call. */
class Batch<T, R> {
  private waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly handle: (items: T[]) => Promise<R[]>) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ item, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    try {
      const results = await this.handle(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i]);
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
class LeaseLost extends Error {}

interface Running {
  job: JobRow;
  controller: AbortController;
  finished: Promise<void>;
}

interface Schedule {
  name: string;
  definition: ScheduleDefinition;
  everyMs: number;
}

/**
 * Runs the jobs of the kinds it has handlers for: claims due jobs under a lease it renews, runs each
 * with a timeout, records the outcome (done, retry later, dead with the error), and enqueues periodic
 * jobs when their schedule is due (one runner wins each tick). Woken by notifications when a job is
 * enqueued; `pollMs` is only the fallback. `gantry serve` runs one in process, `gantry worker` only this.
 */
export class JobRunner {
  readonly id: string;
  private readonly handlers = new Map<string, JobDefinition>();
  private readonly schedules: Schedule[] = [];
  private readonly kinds: string[];
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly running = new Map<number, Running>();
  private started = false;
  private stopping = false;
  private wanted = false;
  private passing: Promise<void> | undefined;
  private saturated = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];
  private nextScheduleAt = 0;
  /** Jobs finishing in the same turn are marked done by one statement (one commit instead of many). */
  private readonly completions = new Batch<JobRow, boolean>(async (jobs) => {
    const marked = await completeJobs(this.options.db, jobs, this.id);
    return jobs.map((job) => marked.has(job.id));
  });

  constructor(private readonly options: RunnerOptions) {
    this.id = `${options.name}#${randomBytes(3).toString('hex')}`;
    for (const definition of options.jobs) {
      if (this.handlers.has(definition.kind.name))
        throw new Error(`job kind '${definition.kind.name}' has two handlers`);
      this.handlers.set(definition.kind.name, definition);
    }
    for (const definition of options.schedules ?? []) {
      const name = definition.name ?? definition.kind.name;
      if (!this.handlers.has(definition.kind.name)) {
        throw new Error(`schedule '${name}': no handler for job kind '${definition.kind.name}'`);
      }
      if (this.schedules.some((s) => s.name === name)) throw new Error(`schedule '${name}' is declared twice`);
      this.schedules.push({ name, definition, everyMs: parseEvery(definition.every) });
    }
    this.kinds = [...this.handlers.keys()];
    this.concurrency = options.concurrency ?? 4;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 2000;
  }

  /** Kinds this runner has handlers for. */
  get handledKinds(): readonly string[] {
    return this.kinds;
  }

  /** Registers the runner and its schedules, then starts taking jobs. Idle when it handles no kind. */
  async start(): Promise<void> {
    if (this.started || this.kinds.length === 0) return;
    this.started = true;
    const { db } = this.options;
    const now = Date.now();
    await db
      .insertInto('workers')
      .values({
        name: this.options.name,
        tags: JSON.stringify(this.options.tags ?? []),
        kinds: JSON.stringify(this.kinds),
        state: 'running',
        started_at_ms: now,
        heartbeat_at_ms: now,
      })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet((eb) => ({
          tags: eb.ref('excluded.tags'),
          kinds: eb.ref('excluded.kinds'),
          state: 'running',
          started_at_ms: now,
          heartbeat_at_ms: now,
        })),
      )
      .execute();
    for (const schedule of this.schedules) {
      // A new schedule is due at once; an existing one keeps its next time (its interval may change).
      await db
        .insertInto('job_schedules')
        .values({
          name: schedule.name,
          kind: schedule.definition.kind.name,
          every_ms: schedule.everyMs,
          next_run_at_ms: now,
        })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet((eb) => ({ kind: eb.ref('excluded.kind'), every_ms: eb.ref('excluded.every_ms') })),
        )
        .execute();
    }
    const { notifications } = this.options;
    this.unsubscribe.push(
      notifications.subscribe(JOBS_CHANNEL, (payload) => this.heard(Number(payload))),
      // Messages may have been missed while the channel was down: look again once it is back.
      notifications.onHealth((healthy) => healthy && this.wake()),
    );
    const beat = Math.max(50, Math.min(10_000, Math.floor(this.leaseMs / 3)));
    this.heartbeat = setInterval(() => void this.beat(), beat);
    this.heartbeat.unref();
    this.wake();
  }

  /**
   * Stops claiming, waits up to `drainMs` for the jobs in hand, then hands back those still running:
   * retried at once by another runner, or dead for an at-most-once kind (it may have done its work).
   */
  async stop(drainMs = 10_000): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const off of this.unsubscribe) off();
    if (this.timer) clearTimeout(this.timer);
    const { db, log } = this.options;
    await this.setState('draining');
    await this.passing;
    const inHand = [...this.running.values()];
    if (inHand.length > 0) {
      log.info({ jobs: inHand.length, drainMs }, 'jobs: draining before stop');
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        Promise.all(inHand.map((r) => r.finished)).then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), drainMs);
        }),
      ]);
      clearTimeout(timer);
      if (!drained) {
        const late = [...this.running.values()];
        this.running.clear();
        for (const { job, controller } of late) {
          // Handed back first, then aborted: a handler ending on the abort cannot mark the job done.
          const reason = 'handed back: the runner stopped before it finished';
          const state = await failJob(db, job, this.id, reason, Date.now());
          controller.abort(new Error('the runner is stopping'));
          log.warn({ job: job.id, kind: job.kind, state }, 'jobs: handed back at stop');
        }
      }
    }
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.setState('stopped');
  }

  /** A job was enqueued somewhere, due at `runAt`. */
  private heard(runAt: number): void {
    if (!Number.isFinite(runAt) || runAt <= Date.now() + 1) this.wake();
    else this.wakeAt(runAt);
  }

  /** Looks at the queue soon (several calls in one turn make one look). */
  private wake(): void {
    if (this.stopping) return;
    this.wanted = true;
    if (!this.passing) this.passing = this.loop();
  }

  private wakeAt(at: number): void {
    if (this.stopping || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timerAt = Number.POSITIVE_INFINITY;
        this.wake();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    // Completions of one turn, and notifications arriving together, share one look at the queue.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.wanted && !this.stopping) {
        this.wanted = false;
        await this.pass();
      }
    } catch (error) {
      this.options.log.error({ err: error }, 'jobs: the runner could not read the queue; retrying');
      this.wakeAt(Date.now() + Math.min(this.pollMs, 1000));
    } finally {
      this.passing = undefined;
    }
  }

  private async pass(): Promise<void> {
    const { db } = this.options;
    const now = Date.now();
    if (this.schedules.length > 0 && now >= this.nextScheduleAt) await this.fireSchedules(now);
    await buryAbandoned(db, this.kinds, now);
    for (;;) {
      const free = this.concurrency - this.running.size;
      this.saturated = free <= 0;
      if (free <= 0 || this.stopping) return;
      const claimed = await claimJobs(db, this.id, this.kinds, free, this.leaseMs);
      for (const job of claimed) this.execute(job);
      if (claimed.length < free) break;
    }
    const next = Math.min(
      (await nextDueAt(db, this.kinds)) ?? Number.POSITIVE_INFINITY,
      this.schedules.length > 0 ? this.nextScheduleAt : Number.POSITIVE_INFINITY,
      Date.now() + this.pollMs,
    );
    // A floor keeps a row another runner is claiming right now from spinning this one.
    this.wakeAt(Math.max(next, Date.now() + 5));
  }

  /** Enqueues each due schedule's job, when this runner is the one that moves its next time forward. */
  private async fireSchedules(now: number): Promise<void> {
    const { db } = this.options;
    const rows = await db
      .selectFrom('job_schedules')
      .selectAll()
      .where(
        'name',
        'in',
        this.schedules.map((s) => s.name),
      )
      .execute();
    let next = Number.POSITIVE_INFINITY;
    for (const row of rows) {
      const schedule = this.schedules.find((s) => s.name === row.name)!;
      const every = Number(row.every_ms);
      const due = Number(row.next_run_at_ms);
      if (due > now) {
        next = Math.min(next, due);
        continue;
      }
      // Missed ticks are skipped, not caught up: the next time is the first one after now.
      const following = due + every * Math.floor((now - due) / every + 1);
      next = Math.min(next, following);
      const fired = await db.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable('job_schedules')
          .set({ next_run_at_ms: following, last_run_at_ms: now, last_run_by: this.id })
          .where('name', '=', row.name)
          .where('next_run_at_ms', '=', due)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        // The job's run_at is its tick: each tick's job is told apart from the next one's.
        await enqueue(trx, schedule.definition.kind, schedule.definition.payload ?? null, {
          key: `schedule:${row.name}`,
          runAt: due,
        });
        return true;
      });
      if (fired) this.options.log.debug({ schedule: row.name }, 'jobs: schedule fired');
    }
    this.nextScheduleAt = next;
  }

  private execute(job: JobRow): void {
    const definition = this.handlers.get(job.kind)!;
    const controller = new AbortController();
    const entry = { job, controller } as Running;
    entry.finished = this.run(job, definition, controller).finally(() => {
      this.running.delete(job.id);
      if (this.saturated) this.wake();
    });
    this.running.set(job.id, entry);
  }

  private async run(job: JobRow, definition: JobDefinition, controller: AbortController): Promise<void> {
    const { db, log } = this.options;
    const { kind } = definition;
    const started = Date.now();
    const jobLog = log.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    try {
      const payload = JSON.parse(job.payload);
      const context = (handle: Db): JobContext => ({
        db: handle,
        signal: controller.signal,
        job: {
          id: job.id,
          kind: job.kind,
          key: job.key,
          attempt: job.attempts,
          maxAttempts: job.max_attempts,
          runAtMs: Number(job.run_at_ms),
        },
        log: jobLog,
      });
      if (kind.transaction) {
        await db.transaction().execute(async (trx) => {
          await this.bounded(definition.handle(payload, context(trx)), kind.timeoutMs, controller);
          if (!(await completeJob(trx, job, this.id))) throw new LeaseLost();
        });
      } else {
        await this.bounded(definition.handle(payload, context(db)), kind.timeoutMs, controller);
        if (!(await this.completions.add(job))) throw new LeaseLost();
      }
      jobLog.debug({ ms: Date.now() - started }, 'job done');
    } catch (error) {
      if (this.stopping && !this.running.has(job.id)) return; // handed back already
      if (error instanceof LeaseLost) {
        jobLog.warn('job finished after its lease was lost: its outcome is dropped');
        return;
      }
      const message =
        error instanceof TimedOut
          ? error.message
          : error instanceof Error
            ? `${error.name}: ${error.message}`
            : `thrown: ${String(error)}`;
      const retryAt = Date.now() + kind.backoffMs(job.attempts);
      try {
        const state = await failJob(db, job, this.id, message, retryAt);
        if (state === 'failed') this.wakeAt(retryAt);
        const level = state === 'dead' ? 'error' : 'warn';
        jobLog[level]({ err: error, state, ms: Date.now() - started }, `job ${state ?? 'lost its lease'}`);
      } catch (recordError) {
        // The lease runs out and the job is taken again (or buried): still a bounded outcome.
        jobLog.error({ err: recordError }, 'job failed and its failure could not be recorded');
      }
    }
  }

  /** The handler's promise, or a TimedOut rejection after `timeoutMs` (the signal is aborted then). */
  private bounded(work: Promise<void>, timeoutMs: number, controller: AbortController): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TimedOut(`timed out after ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      // A handler that never settles must not keep a stopped process alive.
      timer.unref();
    });
    // A handler abandoned after its timeout may still reject later: nothing must crash on it.
    work.catch(() => {});
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private async beat(): Promise<void> {
    const { db, log } = this.options;
    try {
      await renewLeases(db, this.id, [...this.running.keys()], this.leaseMs);
      await db
        .updateTable('workers')
        .set({ heartbeat_at_ms: Date.now() })
        .where('name', '=', this.options.name)
        .execute();
    } catch (error) {
      log.warn({ err: error }, 'jobs: heartbeat failed (leases not renewed)');
    }
  }

  private async setState(state: string): Promise<void> {
    await this.options.db
      .updateTable('workers')
      .set({ state, heartbeat_at_ms: Date.now() })
      .where('name', '=', this.options.name)
      .execute()
      .catch((error) => this.options.log.warn({ err: error }, 'jobs: could not record the runner state'));
  }
}
