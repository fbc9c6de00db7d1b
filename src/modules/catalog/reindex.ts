import type { DbHandle } from '../../platform/db/database.js';
import { type JobContext, jobKind } from '../../platform/jobs/kinds.js';
import { remoteOf } from './git.js';
import { INDEX_VERSION, remoteHead, scanRepository } from './scan.js';
import type { CatalogDeps } from './sources.js';
import { applyScan, markRefreshed } from './sync.js';

/**
 * The periodic re-index of every catalog repository (Cycloid re-reads them about every 10 minutes).
 * At most once per tick: a failed tick is simply the next tick's work.
 */
export const reindexCatalogs = jobKind<Record<string, never>>('catalog.reindex', {
  maxAttempts: 1,
  timeoutMs: 9 * 60_000,
});

export const REINDEX_EVERY = '10m';

/**
 * Asks each remote for its branch tip first (ls-remote, no fetch) and reads only the repositories
 * whose tip moved. One repository failing (gone, credential revoked) is logged and the others go on.
 */
export async function reindexAll(
  deps: CatalogDeps,
  ctx: Pick<JobContext, 'db' | 'signal' | 'log'>,
): Promise<{
  checked: number;
  indexed: number;
  failed: number;
}> {
  const sources = await ctx.db
    .selectFrom('catalog_sources')
    .select(['id', 'organization_id', 'canonical', 'url', 'branch', 'credential_id', 'indexed_commit', 'index_version'])
    .orderBy('id')
    .execute();
  let indexed = 0;
  let failed = 0;
  for (const source of sources) {
    if (ctx.signal.aborted) break;
    try {
      if (await reindexOne(deps, ctx.db, source)) indexed++;
    } catch (error) {
      failed++;
      ctx.log.warn(
        { catalog_source: source.canonical, organization_id: source.organization_id, err: error },
        'periodic re-index of a catalog repository failed',
      );
    }
  }
  ctx.log.info({ checked: sources.length, indexed, failed }, 'catalog repositories re-indexed');
  return { checked: sources.length, indexed, failed };
}

async function reindexOne(
  deps: CatalogDeps,
  db: DbHandle,
  source: {
    id: number;
    organization_id: number;
    canonical: string;
    url: string;
    branch: string;
    credential_id: number | null;
    indexed_commit: string | null;
    index_version: number;
  },
): Promise<boolean> {
  const remote = await remoteOf(db, deps.vault, source.organization_id, source);
  const known = source.index_version === INDEX_VERSION ? source.indexed_commit : null;
  const head = await remoteHead(deps.git, remote, source.branch);
  if (head !== undefined && head === known) {
    await markRefreshed(db, source.id);
    return false;
  }
  const scan = await scanRepository(deps.git, remote, source.branch, known);
  if (!scan) return false;
  // The row may have been changed or deleted while the repository was read: take it again in the write.
  await db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('catalog_sources')
      .select(['id', 'organization_id', 'visibility', 'team_id', 'url', 'branch'])
      .where('id', '=', source.id)
      .executeTakeFirst();
    if (!current || current.url !== source.url || current.branch !== source.branch) return;
    await applyScan(trx, { ...current, firstIndexing: false }, scan);
  });
  return true;
}
