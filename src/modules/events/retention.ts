import type { DbHandle } from '../../platform/db/database.js';
import { handleJob, jobKind } from '../../platform/jobs/kinds.js';

const DAY_MS = 86_400_000;
/** Rows removed per statement: on SQLite each statement holds the write lock, so none may run long. */
const BATCH = 5000;

export interface EventRetention {
  retentionDays: number;
  maxPerOrg: number;
}

/** Safe to repeat: each run deletes what is too old or too many at that moment. */
export const pruneEventsKind = jobKind<null>('events.prune', { maxAttempts: 3, timeoutMs: 10 * 60_000 });

/**
 * Deletes events older than the retention period, then, in each organization holding more than
 * `maxPerOrg`, its oldest ones beyond that number. Bounded batches; stops between two when `signal`
 * is aborted (the next run continues).
 */
export async function pruneEvents(
  db: DbHandle,
  settings: EventRetention,
  options: { now?: number; signal?: AbortSignal } = {},
): Promise<{ expired: number; overLimit: number }> {
  const cutoff = (options.now ?? Date.now()) - settings.retentionDays * DAY_MS;
  const expired = await inBatches(options.signal, () =>
    db
      .deleteFrom('events')
      .where('id', 'in', (eb) =>
        eb.selectFrom('events').select('id').where('timestamp_ms', '<', cutoff).orderBy('id').limit(BATCH),
      )
      .executeTakeFirst(),
  );

  let overLimit = 0;
  const crowded = await db
    .selectFrom('events')
    .select('organization_id')
    .groupBy('organization_id')
    .having((eb) => eb.fn.countAll(), '>', settings.maxPerOrg)
    .execute();
  for (const { organization_id } of crowded) {
    // The oldest event to keep: the maxPerOrg-th newest (ids grow with the time of recording).
    const keep = await db
      .selectFrom('events')
      .select('id')
      .where('organization_id', '=', organization_id)
      .orderBy('id', 'desc')
      .limit(1)
      .offset(settings.maxPerOrg - 1)
      .executeTakeFirst();
    if (!keep) continue;
    overLimit += await inBatches(options.signal, () =>
      db
        .deleteFrom('events')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('events')
            .select('id')
            .where('organization_id', '=', organization_id)
            .where('id', '<', keep.id)
            .orderBy('id')
            .limit(BATCH),
        )
        .executeTakeFirst(),
    );
  }
  return { expired, overLimit };
}

async function inBatches(
  signal: AbortSignal | undefined,
  deleteBatch: () => Promise<{ numDeletedRows: bigint }>,
): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const deleted = Number((await deleteBatch()).numDeletedRows);
    total += deleted;
    if (deleted < BATCH) break;
  }
  return total;
}

/** The events module's job and its hourly schedule. */
export function eventRetentionJobs(settings: EventRetention) {
  return {
    jobs: [
      handleJob(pruneEventsKind, async (_payload, ctx) => {
        const removed = await pruneEvents(ctx.db, settings, { signal: ctx.signal });
        if (removed.expired + removed.overLimit > 0) ctx.log.info(removed, 'events: pruned old events');
      }),
    ],
    schedules: [{ kind: pruneEventsKind, every: '1h' }],
  };
}
