/**
 * Remembers resolved tokens and per-organization access between writes, so reads skip the identity
 * queries. Correctness rests on invalidation, not on time: every write request clears the cache when
 * it completes (and, on PostgreSQL, tells the other replicas to clear theirs); the TTL is only a
 * safety net. While invalidation cannot be guaranteed (a replica lost its notification channel) the
 * cache is switched off and every request reads the database.
 */
export class AuthCache {
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();
  private enabled = true;
  /** Bumped by every clear: a value read from the database before a clear must not be stored after it. */
  private generation = 0;

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 20_000,
  ) {}

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  /** Take before reading what will be stored, and pass to `set`. */
  snapshot(): number {
    return this.generation;
  }

  /** `expiresAt` (ms) caps the entry's life, e.g. at a session token's expiry. */
  set(key: string, value: unknown, readAt: number, expiresAt = Number.POSITIVE_INFINITY): void {
    if (!this.enabled || readAt !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expiresAt: Math.min(Date.now() + this.ttlMs, expiresAt) });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
