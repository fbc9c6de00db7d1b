import { sql } from 'kysely';
import { sha256 } from '../crypto/hashing.js';
import { nowSeconds } from '../db/columns.js';
import type { DbHandle } from '../db/database.js';
import { tooManyRequests } from '../errors.js';

/** At most `limit` hits per fixed window of `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/**
 * Every throttle of the server, in one place (docs/users.md lists them). Identity limits slow down
 * guessing one account's password; IP limits slow down spraying many accounts from one address.
 */
export const RATE_LIMITS = {
  /**
   * Failed logins per email/username from one client address; a successful login from it clears it.
   * Counting per address as well keeps someone else's failures from locking the owner out.
   */
  loginFailuresPerIdentity: { limit: 10, windowSeconds: 15 * 60 },
  /** Failed logins per email/username from all addresses together: guessing spread over many addresses. */
  loginFailuresPerIdentityAnywhere: { limit: 100, windowSeconds: 15 * 60 },
  /** Login attempts (failed or not) per client address. */
  loginAttemptsPerIp: { limit: 50, windowSeconds: 15 * 60 },
  /** Mails asked for one address (password reset, verification resend): stops mail bombing. */
  mailRequestsPerIdentity: { limit: 5, windowSeconds: 60 * 60 },
  /** Mail requests per client address. */
  mailRequestsPerIp: { limit: 20, windowSeconds: 60 * 60 },
  /** Accounts created per client address. */
  signUpsPerIp: { limit: 10, windowSeconds: 60 * 60 },
  /** Invitation mails (new and resent) per organization. */
  invitationsPerOrganization: { limit: 100, windowSeconds: 60 * 60 },
} as const satisfies Record<string, RateLimit>;

/** Counters older than this are deleted now and then (no limit has a longer window). */
const PRUNE_AFTER_SECONDS = 24 * 60 * 60;
const PRUNE_EVERY_SECONDS = 10 * 60;

/** A counter key for free text (an email, a username): short, and no address stored in clear. */
export function rateKey(scope: string, value: string): string {
  return `${scope}:${sha256(value.trim().toLowerCase()).slice(0, 32)}`;
}

/**
 * Fixed-window counters in the `rate_limits` table, so every replica sees the same counts. Each hit is
 * one upsert: a row whose window has passed starts again at 1.
 */
export class RateLimiter {
  private lastPrune = 0;

  constructor(
    private readonly db: DbHandle,
    private readonly clock: () => number = nowSeconds,
  ) {}

  /** Counts one hit and throws 429 (with Retry-After) when it goes over the limit. */
  async consume(key: string, rule: RateLimit): Promise<void> {
    const now = this.clock();
    const windowStart = now - (now % rule.windowSeconds);
    const row = await this.db
      .insertInto('rate_limits')
      .values({ key, window_start: windowStart, count: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql<number>`case when ${sql.ref('rate_limits.window_start')} = ${windowStart} then ${sql.ref('rate_limits.count')} + 1 else 1 end`,
          window_start: windowStart,
        }),
      )
      .returning(['count', 'window_start'])
      .executeTakeFirstOrThrow();
    await this.pruneNowAndThen(now);
    if (Number(row.count) > rule.limit) throw tooManyRequests(Number(row.window_start) + rule.windowSeconds - now);
  }

  /** Throws 429 when the counter already reached the limit; counts nothing. */
  async ensureBelow(key: string, rule: RateLimit): Promise<void> {
    const now = this.clock();
    const windowStart = now - (now % rule.windowSeconds);
    const row = await this.db
      .selectFrom('rate_limits')
      .select(['count', 'window_start'])
      .where('key', '=', key)
      .executeTakeFirst();
    if (row && Number(row.window_start) === windowStart && Number(row.count) >= rule.limit) {
      throw tooManyRequests(windowStart + rule.windowSeconds - now);
    }
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('rate_limits').where('key', '=', key).execute();
  }

  // Keys made from unknown identities would otherwise pile up forever.
  private async pruneNowAndThen(now: number): Promise<void> {
    if (now - this.lastPrune < PRUNE_EVERY_SECONDS) return;
    this.lastPrune = now;
    await this.db
      .deleteFrom('rate_limits')
      .where('window_start', '<', now - PRUNE_AFTER_SECONDS)
      .execute();
  }
}
