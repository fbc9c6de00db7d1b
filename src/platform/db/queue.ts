import type { SelectQueryBuilder } from 'kysely';
import { type DbHandle, engineOf } from './database.js';

/**
 * Rows selected to be claimed by one runner among several. PostgreSQL locks them and skips rows other
 * runners locked (`FOR UPDATE SKIP LOCKED`), so concurrent claims never wait on nor take the same row.
 * SQLite has one writer at a time: the claiming statement runs whole before any other write, so the
 * plain query is enough (and SQLite has no such clause).
 */
export function skippingLockedRows<DB, TB extends keyof DB, O>(
  db: DbHandle,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return engineOf(db) === 'postgres' ? query.forUpdate().skipLocked() : query;
}
