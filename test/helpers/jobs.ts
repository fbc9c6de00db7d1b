import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { type DatabaseHandle, type Engine, openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { type Notifications, openNotifications } from '../../src/platform/db/notifications.js';
import type { JobDefinition, ScheduleDefinition } from '../../src/platform/jobs/kinds.js';
import { JobRunner } from '../../src/platform/jobs/runner.js';
import { freshDatabaseUrl } from './server.js';

export const silentLog = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

/** Polls until `check` holds (every 10 ms, up to `ms`). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened within ${ms} ms: ${what}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A fresh migrated database of one engine, with as many extra handles ("processes") as asked: on
 * PostgreSQL each is its own pool and its own notification connection, as in separate processes.
 */
export class JobsLab {
  readonly handles: { database: DatabaseHandle; notifications: Notifications }[] = [];
  private readonly runners: JobRunner[] = [];
  private dir = '';
  private url = '';
  private drop: () => Promise<void> = async () => {};

  constructor(readonly engine: Engine) {}

  async open(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'gantry-jobs-'));
    const fresh = await freshDatabaseUrl(this.engine, this.dir);
    this.url = fresh.url;
    this.drop = fresh.drop;
    const first = this.handle();
    await migrateToLatest(first.database.db);
    return this;
  }

  get db() {
    return this.handles[0].database.db;
  }

  /** Another connection to the same database (the first one on SQLite: one process, one handle). */
  handle() {
    if (this.engine === 'sqlite' && this.handles.length > 0) return this.handles[0];
    const database = openDatabase(this.url);
    const notifications = openNotifications(this.engine, this.url);
    const handle = { database, notifications };
    this.handles.push(handle);
    return handle;
  }

  runner(
    jobs: JobDefinition[],
    options: {
      schedules?: ScheduleDefinition[];
      name?: string;
      leaseMs?: number;
      pollMs?: number;
      concurrency?: number;
    } = {},
    handle = this.handle(),
  ): JobRunner {
    const runner = new JobRunner({
      db: handle.database.db,
      notifications: handle.notifications,
      log: silentLog,
      jobs,
      schedules: options.schedules,
      name: options.name ?? `runner-${this.runners.length + 1}`,
      concurrency: options.concurrency ?? 4,
      leaseMs: options.leaseMs ?? 30_000,
      pollMs: options.pollMs ?? 60_000,
    });
    this.runners.push(runner);
    return runner;
  }

  async job(id: number) {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  async close(): Promise<void> {
    for (const runner of this.runners) await runner.stop(0).catch(() => {});
    for (const { database, notifications } of this.handles) {
      await notifications.close();
      await database.close();
    }
    await this.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
