import type { FastifyBaseLogger } from 'fastify';
import type { DbHandle } from '../db/database.js';

/**
 * A kind of background job: its name, how often it may be tried and for how long. Declared once (a
 * module constant) and used both to enqueue (`enqueue(db, kind, payload)`, payload typed by `P`) and to
 * register the handler.
 */
export interface JobKind<P = unknown> {
  readonly name: string;
  /**
   * How many times a job may start. 1 is at-most-once: a job whose run fails, times out or whose runner
   * dies is never started again, it goes to `dead`. More: bounded retries with a growing delay.
   */
  readonly maxAttempts: number;
  /** A run taking longer is abandoned and counts as a failure (its `signal` is aborted). */
  readonly timeoutMs: number;
  /**
   * Run the handler and the job's completion in one transaction: the handler's writes commit only if
   * the job is marked done, so a failure, a timeout or a lost lease leaves nothing half-written. For
   * short database work only: on SQLite an open transaction holds the single connection.
   */
  readonly transaction: boolean;
  /** Delay before the retry after the nth failed attempt (1-based). */
  readonly backoffMs: (attempt: number) => number;
  /** Type-only: the payload. */
  readonly __payload?: P;
}

export interface JobKindOptions {
  maxAttempts?: number;
  timeoutMs?: number;
  transaction?: boolean;
  backoffMs?: (attempt: number) => number;
}

const KIND_NAME = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

/** Exponential: 1 s, 2 s, 4 s, … up to 10 minutes, with a little jitter so failures do not align. */
export const defaultBackoff = (attempt: number): number =>
  Math.round(Math.min(1000 * 2 ** (attempt - 1), 600_000) * (0.9 + Math.random() * 0.2));

/** Declares a job kind; names are dotted lowercase words, the module's name first (`mail.send`). */
export function jobKind<P>(name: string, options: JobKindOptions = {}): JobKind<P> {
  if (!KIND_NAME.test(name) || name.length > 100) throw new Error(`invalid job kind name '${name}'`);
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`${name}: maxAttempts must be 1 or more`);
  return {
    name,
    maxAttempts,
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
    transaction: options.transaction ?? false,
    backoffMs: options.backoffMs ?? defaultBackoff,
  };
}

/** What a handler gets beside its payload. */
export interface JobContext {
  /** The root handle, or the job's transaction for kinds declared `transaction: true`. */
  db: DbHandle;
  /** Aborted when the run times out or the runner stops: long work should stop there. */
  signal: AbortSignal;
  job: { id: number; kind: string; key: string | null; attempt: number; maxAttempts: number; runAtMs: number };
  log: FastifyBaseLogger;
}

export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<void>;

/** A module's handler for one kind. */
export interface JobDefinition<P = any> {
  kind: JobKind<P>;
  handle: JobHandler<P>;
}

/** A periodic job: enqueued every `every` (`'30s'`, `'10m'`, `'1h'`, `'1d'`) by one replica only. */
export interface ScheduleDefinition<P = any> {
  /** Unique among schedules; defaults to the kind's name. */
  name?: string;
  kind: JobKind<P>;
  every: string;
  payload?: P;
}

/** Typed pairing of a kind and its handler, for modules' `jobs` lists. */
export const handleJob = <P>(kind: JobKind<P>, handle: JobHandler<P>): JobDefinition<P> => ({ kind, handle });

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `'10m'` -> 600000. Whole numbers with a unit: ms, s, m, h or d. */
export function parseEvery(every: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(every);
  const ms = match ? Number(match[1]) * UNITS[match[2]] : Number.NaN;
  if (!(ms >= 100)) throw new Error(`invalid schedule interval '${every}' (e.g. '30s', '10m', '1h'; at least 100ms)`);
  return ms;
}
