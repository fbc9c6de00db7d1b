import type { DbHandle } from '../db/database.js';
import type { Module } from '../module.js';
import { handleJob, jobKind } from './kinds.js';

const DAY = 86_400_000;

/** How long finished jobs and silent workers are kept before the hourly prune removes them. */
export const RETENTION = { doneMs: 7 * DAY, deadMs: 30 * DAY, workerMs: 7 * DAY };

export const pruneJobs = jobKind<null>('jobs.prune', { maxAttempts: 3, timeoutMs: 5 * 60_000 });

/** Removes done jobs after a week, dead ones after a month, and workers silent for a week. */
export async function prune(db: DbHandle, now = Date.now()): Promise<{ jobs: number; workers: number }> {
  const jobs = await db
    .deleteFrom('jobs')
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'done'), eb('finished_at_ms', '<', now - RETENTION.doneMs)]),
        eb.and([eb('state', '=', 'dead'), eb('finished_at_ms', '<', now - RETENTION.deadMs)]),
      ]),
    )
    .executeTakeFirst();
  const workers = await db
    .deleteFrom('workers')
    .where('heartbeat_at_ms', '<', now - RETENTION.workerMs)
    .executeTakeFirst();
  return { jobs: Number(jobs.numDeletedRows), workers: Number(workers.numDeletedRows) };
}

/** The platform's own jobs, contributed like a module's. */
export function jobsModule(): Module {
  return {
    name: 'jobs',
    operations: {},
    jobs: [
      handleJob(pruneJobs, async (_payload, ctx) => {
        const removed = await prune(ctx.db);
        if (removed.jobs + removed.workers > 0) ctx.log.info(removed, 'jobs: pruned finished jobs and silent workers');
      }),
    ],
    schedules: [{ kind: pruneJobs, every: '1h' }],
  };
}
