import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from './database.js';

const CHANNEL = 'gantry_auth_cache';

export interface InvalidationChannel {
  /** Tells every replica (this one included) that identity data changed. */
  publish(): void;
  close(): Promise<void>;
}

/**
 * Cache invalidation between replicas sharing one PostgreSQL database, over LISTEN/NOTIFY. While the
 * listening connection is down, `onHealth(false)` tells the cache to stop serving; it reconnects.
 */
export function listenForInvalidations(
  url: string,
  db: Db,
  onMessage: () => void,
  onHealth: (healthy: boolean) => void,
): InvalidationChannel {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', () => onMessage());
    next.on('error', () => lost());
    next.on('end', () => lost());
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
      if (closed) {
        await next.end();
        return;
      }
      client = next;
      onHealth(true);
    } catch {
      lost();
    }
  };
  const lost = () => {
    onHealth(false);
    client = undefined;
    if (!closed && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        void connect();
      }, 1000);
      retry.unref();
    }
  };

  onHealth(false);
  void connect();
  return {
    publish() {
      sql`select pg_notify(${CHANNEL}, '')`.execute(db).catch(() => onHealth(false));
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
