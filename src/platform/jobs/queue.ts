import type { DbHandle } from '../db/database.js';
import { notify } from '../db/notifications.js';
import { skippingLockedRows } from '../db/queue.js';
import type { JobsTable } from '../db/schema.js';
import type { JobKind } from './kinds.js';

/** Runners listen here; the payload is the new job's `run_at_ms`. */
export const JOBS_CHANNEL = 'gantry_jobs';

export interface EnqueueOptions {
  /** When to run (a Date or ms since the epoch); now by default. */
  runAt?: Date | number;
  /** Deduplication: while a job of this kind and key is pending, enqueueing another returns that one. */
  key?: string;
}

const MAX_PAYLOAD = 1024 * 1024;

/**
 * Adds a job through `db`. Given the operation's transaction, the job exists only if the operation
 * commits, and runners are woken only then. Returns the job's id (the pending one's, for a duplicate key).
 */
export async function enqueue<P>(
  db: DbHandle,
  kind: JobKind<P>,
  payload: P,
  options: EnqueueOptions = {},
): Promise<number> {
  const now = Date.now();
  const runAt = options.runAt === undefined ? now : +options.runAt;
  if (!Number.isFinite(runAt)) throw new Error(`${kind.name}: runAt is not a valid time`);
  const text = JSON.stringify(payload ?? null);
  if (text.length > MAX_PAYLOAD) throw new Error(`${kind.name}: payload over ${MAX_PAYLOAD} characters`);
  if (options.key !== undefined && (options.key.length === 0 || options.key.length > 200)) {
    throw new Error(`${kind.name}: a job key has 1 to 200 characters`);
  }
  const inserted = await db
    .insertInto('jobs')
    .values({
      kind: kind.name,
      payload: text,
      key: options.key ?? null,
      state: 'pending',
      run_at_ms: runAt,
      attempts: 0,
      max_attempts: kind.maxAttempts,
      created_at_ms: now,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const pending = await db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', kind.name)
      .where('key', '=', options.key ?? '')
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    return pending.id;
  }
  await notify(db, JOBS_CHANNEL, String(runAt));
  return inserted.id;
}

export type JobRow = Omit<JobsTable, 'id'> & { id: number };

/** Jobs that are due, or whose runner's lease ran out with attempts left, leased to `runner`. */
export async function claimJobs(
  db: DbHandle,
  runner: string,
  kinds: string[],
  limit: number,
  leaseMs: number,
  now = Date.now(),
): Promise<JobRow[]> {
  if (kinds.length === 0 || limit <= 0) return [];
  const due = db
    .selectFrom('jobs')
    .select('id')
    .where('kind', 'in', kinds)
    .where((eb) =>
      eb.or([
        eb.and([eb('state', 'in', ['pending', 'failed']), eb('run_at_ms', '<=', now)]),
        eb.and([
          eb('state', '=', 'running'),
          eb('locked_until_ms', '<', now),
          eb('attempts', '<', eb.ref('max_attempts')),
        ]),
      ]),
    )
    .orderBy('run_at_ms')
    .orderBy('id')
    .limit(limit);
  const rows = await db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running',
      attempts: eb('attempts', '+', 1),
      locked_by: runner,
      locked_until_ms: now + leaseMs,
      last_error: eb.case().when('state', '=', 'running').then(LEASE_EXPIRED).else(eb.ref('last_error')).end(),
    }))
    .where('id', 'in', skippingLockedRows(db, due))
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.run_at_ms - b.run_at_ms || a.id - b.id);
}

const LEASE_EXPIRED = 'the runner holding it stopped answering (its lease expired)';

/** Jobs whose runner died holding them on their last allowed attempt: dead, never started again. */
export async function buryAbandoned(db: DbHandle, kinds: string[], now = Date.now()): Promise<number> {
  if (kinds.length === 0) return 0;
  const result = await db
    .updateTable('jobs')
    .set({ state: 'dead', last_error: LEASE_EXPIRED, locked_by: null, locked_until_ms: null, finished_at_ms: now })
    .where('kind', 'in', kinds)
    .where('state', '=', 'running')
    .where('locked_until_ms', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The claim a runner holds: the job is still running under its lease from that very attempt. */
const held = (job: Pick<JobRow, 'id' | 'attempts'>, runner: string) => (db: DbHandle) =>
  db
    .updateTable('jobs')
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('locked_by', '=', runner)
    .where('attempts', '=', job.attempts);

/**
 * Marks held jobs done in one statement; returns the ids marked. A job missing from the answer lost
 * its lease meanwhile (its outcome must then be dropped).
 */
export async function completeJobs(db: DbHandle, jobs: JobRow[], runner: string, now = Date.now()) {
  if (jobs.length === 0) return new Set<number>();
  const rows = await db
    .updateTable('jobs')
    .set({ state: 'done', locked_by: null, locked_until_ms: null, finished_at_ms: now })
    .where('state', '=', 'running')
    .where('locked_by', '=', runner)
    .where((eb) => eb.or(jobs.map((job) => eb.and([eb('id', '=', job.id), eb('attempts', '=', job.attempts)]))))
    .returning('id')
    .execute();
  return new Set(rows.map((row) => Number(row.id)));
}

/** Marks a held job done; false when the lease was lost meanwhile (the outcome must then be dropped). */
export async function completeJob(db: DbHandle, job: JobRow, runner: string, now = Date.now()): Promise<boolean> {
  const result = await held(
    job,
    runner,
  )(db)
    .set({ state: 'done', locked_by: null, locked_until_ms: null, finished_at_ms: now })
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records a failed attempt: `failed` with a retry time while attempts remain, else `dead`. The error
 * is kept either way. Returns the new state, or undefined when the lease was lost meanwhile.
 */
export async function failJob(
  db: DbHandle,
  job: JobRow,
  runner: string,
  error: string,
  retryAt: number | undefined,
  now = Date.now(),
): Promise<'failed' | 'dead' | undefined> {
  const state = retryAt !== undefined && job.attempts < job.max_attempts ? 'failed' : 'dead';
  const result = await held(
    job,
    runner,
  )(db)
    .set({
      state,
      last_error: error.slice(0, 4000),
      locked_by: null,
      locked_until_ms: null,
      run_at_ms: state === 'failed' ? (retryAt as number) : job.run_at_ms,
      finished_at_ms: state === 'dead' ? now : null,
    })
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? state : undefined;
}

/** Extends the leases of the jobs a runner is still running. */
export async function renewLeases(db: DbHandle, runner: string, ids: number[], leaseMs: number, now = Date.now()) {
  if (ids.length === 0) return;
  await db
    .updateTable('jobs')
    .set({ locked_until_ms: now + leaseMs })
    .where('id', 'in', ids)
    .where('state', '=', 'running')
    .where('locked_by', '=', runner)
    .execute();
}

/** When the runner should look again: the earliest due job or expiring lease of its kinds. */
export async function nextDueAt(db: DbHandle, kinds: string[]): Promise<number | undefined> {
  if (kinds.length === 0) return undefined;
  const row = await db
    .selectFrom('jobs')
    .select((eb) => [
      eb.fn.min('run_at_ms').filterWhere('state', 'in', ['pending', 'failed']).as('due'),
      eb.fn.min('locked_until_ms').filterWhere('state', '=', 'running').as('lease'),
    ])
    .where('kind', 'in', kinds)
    .where('state', 'in', ['pending', 'failed', 'running'])
    .executeTakeFirst();
  const times = [row?.due, row?.lease].filter((t): t is number => t !== null && t !== undefined).map(Number);
  return times.length > 0 ? Math.min(...times) : undefined;
}
