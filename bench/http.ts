/**
 * HTTP overhead benchmark: how much of a bare node:http server's throughput the full Gantry stack keeps.
 *
 *   npx tsx bench/http.ts            (or: npm run bench)
 *
 * Targets, all in this one process and measured the same way:
 *   a. GET /              on a bare node:http server answering a fixed small JSON body (the baseline)
 *   b. GET /version       on the full Gantry app (hooks, router, contract handler, serializer, logging)
 *   c. GET /no-such-route on the full Gantry app (404 through the not-found handler)
 *
 * The load generator (autocannon) runs in a worker thread so its own CPU cost is not charged to the
 * servers' event loop. Environment: BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (default 10),
 * BENCH_WARMUP (s, default 1), BENCH_ROUNDS (default 5), BENCH_LOG_LEVEL (default warn).
 * Exit status is non-zero only when something failed to run or answered unexpectedly, never for a ratio.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import { type DatabaseHandle, openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { envNumber, listenBare, median, round1 } from './common.js';

// autocannon ships no type declarations; only the parts used here are typed.
interface AutocannonOptions {
  url: string;
  method?: string;
  connections?: number;
  duration?: number;
  workers?: number;
  timeout?: number;
}
interface AutocannonHistogram {
  average: number;
  mean: number;
  stddev: number;
  p50: number;
  p99: number;
  total: number;
  max: number;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
  mismatches: number;
  resets: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
  requests: AutocannonHistogram;
  latency: AutocannonHistogram;
  duration: number;
}
type Autocannon = (opts: AutocannonOptions, cb: (err: Error | null, result: AutocannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const LOG_LEVELS: readonly Config['logLevel'][] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

interface Target {
  key: 'bare' | 'version' | 'notFound';
  label: string;
  url: string;
  /** Returns a problem description, or undefined when the run answered as expected. */
  verify: (r: AutocannonResult) => string | undefined;
}

interface TargetSummary {
  label: string;
  /** Median over rounds of autocannon's average requests/second. */
  rps: number;
  rpsRuns: number[];
  p99Ms: number;
  p50Ms: number;
  /** Median server time per request, in microseconds (lower is better); see SERVER_TIME_KIND. */
  serverUsPerReq: number;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
}

function transportProblems(r: AutocannonResult): string[] {
  const problems: string[] = [];
  if (r.errors > 0) problems.push(`${r.errors} errors`);
  if (r.timeouts > 0) problems.push(`${r.timeouts} timeouts`);
  if (r.resets > 0) problems.push(`${r.resets} resets`);
  if (r.requests.total === 0) problems.push('no request completed');
  return problems;
}

function statusSummary(r: AutocannonResult): string {
  return Object.entries(r.statusCodeStats)
    .map(([code, { count }]) => `${code}x${count}`)
    .join(', ');
}

const expectOnly2xx = (r: AutocannonResult): string | undefined => {
  const problems = transportProblems(r);
  if (r.non2xx > 0) problems.push(`${r.non2xx} non-2xx responses (${statusSummary(r)})`);
  return problems.length > 0 ? problems.join('; ') : undefined;
};

const expectOnly404 = (r: AutocannonResult): string | undefined => {
  const problems = transportProblems(r);
  const other = Object.keys(r.statusCodeStats).filter((code) => code !== '404');
  if (other.length > 0) problems.push(`statuses other than 404 (${statusSummary(r)})`);
  return problems.length > 0 ? problems.join('; ') : undefined;
};

interface Measured {
  r: AutocannonResult;
  /** Main-thread (server) time during the run, in ms: on-CPU when the OS reports it, else event-loop busy. */
  serverMs: number;
  /** Time the main thread was runnable but waiting for a CPU, in ms (undefined when unknown). */
  waitedMs: number | undefined;
}

/**
 * On Linux, the servers' thread (the main thread, whose id is the process id) reports its on-CPU and
 * run-queue wait times in nanoseconds. On-CPU time per request does not grow when other processes take
 * the CPU away, so it is steadier than requests/second on a busy machine.
 */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
function threadTimes(): { cpuNs: number; waitNs: number } | undefined {
  try {
    const [cpu, wait] = readFileSync(SCHEDSTAT, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(cpu) && Number.isFinite(wait) ? { cpuNs: cpu, waitNs: wait } : undefined;
  } catch {
    return undefined;
  }
}
const SERVER_TIME_KIND = threadTimes() ? "on-CPU time of the servers' thread" : 'event-loop busy time';

async function runAutocannon(opts: AutocannonOptions): Promise<Measured> {
  const elu = performance.eventLoopUtilization();
  const times = threadTimes();
  const r = await new Promise<AutocannonResult>((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
  const after = threadTimes();
  if (times && after) {
    return { r, serverMs: (after.cpuNs - times.cpuNs) / 1e6, waitedMs: (after.waitNs - times.waitNs) / 1e6 };
  }
  return { r, serverMs: performance.eventLoopUtilization(elu).active, waitedMs: undefined };
}

/** Server time per answered request, in microseconds. */
const usPerRequest = (m: Measured) => (m.r.requests.total > 0 ? (1000 * m.serverMs) / m.r.requests.total : 0);

function closeBare(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Ends the app logger's stream (a file descriptor of ours) once everything queued is written. */
function endLogStream(app: FastifyInstance): Promise<void> {
  const stream = (app.logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    | (NodeJS.EventEmitter & { end?: () => void })
    | undefined;
  if (!stream || typeof stream.end !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.end?.();
  });
}

async function main(): Promise<number> {
  const duration = envNumber('BENCH_DURATION', 5, 1);
  const connections = Math.round(envNumber('BENCH_CONNECTIONS', 10, 1));
  const warmup = envNumber('BENCH_WARMUP', 1, 0);
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 5, 1));
  const logLevel = (process.env.BENCH_LOG_LEVEL || 'warn') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`BENCH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const tmp = mkdtempSync(join(tmpdir(), 'gantry-bench-'));
  const logFile = join(tmp, 'gantry.log');
  let bare: Server | undefined;
  let app: FastifyInstance | undefined;
  let database: DatabaseHandle | undefined;
  let logFd: number | undefined;
  let failed = false;

  try {
    // Default configuration from a clean environment (the caller's GANTRY_* variables do not leak in),
    // except the log level. Pretty logs are off as in production (stdout is not a terminal there).
    const config = loadConfig({
      GANTRY_DATA_DIR: tmp,
      GANTRY_LOG_LEVEL: logLevel,
      GANTRY_LOG_PRETTY: 'false',
    });
    database = openDatabase(config.databaseUrl);
    await migrateToLatest(database.db);

    // pino writes to `process.stdout.fd` through its own asynchronous stream. Point that at a file while
    // the app builds its logger, so log lines cost what they cost in production (serialize + write)
    // without landing between the results. Our own output still goes to the real stdout.
    logFd = openSync(logFile, 'w');
    const stdoutFd = (process.stdout as unknown as { fd: number }).fd;
    (process.stdout as unknown as { fd: number }).fd = logFd;
    try {
      app = await buildApp({ config, database });
    } finally {
      (process.stdout as unknown as { fd: number }).fd = stdoutFd;
    }
    const gantryUrl = await app.listen({ host: '127.0.0.1', port: 0 });

    bare = await listenBare();
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

    const targets: Target[] = [
      { key: 'bare', label: 'bare node:http GET /', url: `${bareUrl}/`, verify: expectOnly2xx },
      { key: 'version', label: 'full-stack GET /version', url: `${gantryUrl}/version`, verify: expectOnly2xx },
      {
        key: 'notFound',
        label: 'full-stack GET /no-such-route (404)',
        url: `${gantryUrl}/no-such-route`,
        verify: expectOnly404,
      },
    ];

    const out = (line = '') => process.stdout.write(`${line}\n`);
    out('Gantry HTTP benchmark');
    out(`  node ${process.version}, autocannon in a worker thread, servers on the main thread`);
    out(
      `  ${connections} connections, ${warmup} s warm-up per target, ${duration} s per measured run, ${rounds} rounds`,
    );
    out(`  GANTRY_LOG_LEVEL=${logLevel} (set BENCH_LOG_LEVEL to change), log file ${logFile}`);
    out(`  database sqlite in ${tmp} (migrated)`);
    out(`  server µs/req = ${SERVER_TIME_KIND} per answered request`);
    out();

    const common = { connections, workers: 1, timeout: 10 } satisfies Partial<AutocannonOptions>;
    const problems: string[] = [];

    if (warmup > 0) {
      for (const target of targets) {
        out(`warm-up   ${target.label}`);
        const { r } = await runAutocannon({ ...common, url: target.url, duration: warmup });
        const problem = target.verify(r);
        if (problem) problems.push(`warm-up ${target.label}: ${problem}`);
      }
    }

    const runs = new Map<Target['key'], Measured[]>(targets.map((t) => [t.key, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets) {
        const m = await runAutocannon({ ...common, url: target.url, duration });
        const { r } = m;
        runs.get(target.key)!.push(m);
        const problem = target.verify(r);
        if (problem) problems.push(`round ${round} ${target.label}: ${problem}`);
        const waited =
          m.waitedMs === undefined ? '' : `, waited for a CPU ${((100 * m.waitedMs) / (duration * 1000)).toFixed(0)}%`;
        out(
          `round ${round}   ${target.label.padEnd(36)} ${r.requests.average.toFixed(0).padStart(8)} req/s   p99 ${String(r.latency.p99).padStart(3)} ms   server ${usPerRequest(m).toFixed(1).padStart(5)} µs/req${waited}   [${statusSummary(r)}]${problem ? `   PROBLEM: ${problem}` : ''}`,
        );
      }
    }

    const summarize = (t: Target): TargetSummary => {
      const ms = runs.get(t.key)!;
      const rs = ms.map((m) => m.r);
      const statuses: Record<string, number> = {};
      for (const r of rs) {
        for (const [code, { count }] of Object.entries(r.statusCodeStats))
          statuses[code] = (statuses[code] ?? 0) + count;
      }
      return {
        label: t.label,
        rps: round1(median(rs.map((r) => r.requests.average))),
        rpsRuns: rs.map((r) => round1(r.requests.average)),
        p99Ms: median(rs.map((r) => r.latency.p99)),
        p50Ms: median(rs.map((r) => r.latency.p50)),
        serverUsPerReq: round1(median(ms.map(usPerRequest))),
        requests: rs.reduce((n, r) => n + r.requests.total, 0),
        errors: rs.reduce((n, r) => n + r.errors + r.timeouts, 0),
        statuses,
      };
    };
    const summary = {
      bare: summarize(targets[0]),
      version: summarize(targets[1]),
      notFound: summarize(targets[2]),
    } satisfies Record<Target['key'], TargetSummary>;

    const pct = (x: number) => round1((100 * x) / summary.bare.rps);
    // The same comparison by server CPU time: what the ratio would be if the server alone were the limit.
    const costPct = (us: number) => (us > 0 ? round1((100 * summary.bare.serverUsPerReq) / us) : 0);
    const ratios = {
      versionPct: pct(summary.version.rps),
      notFoundPct: pct(summary.notFound.rps),
      versionByServerTimePct: costPct(summary.version.serverUsPerReq),
      notFoundByServerTimePct: costPct(summary.notFound.serverUsPerReq),
    };

    out();
    out(`median of ${rounds} rounds (req/s = autocannon average per run)`);
    out(
      `  ${'target'.padEnd(36)} ${'req/s'.padStart(9)} ${'p99 ms'.padStart(7)} ${'% of bare'.padStart(10)} ${'server µs/req'.padStart(14)}`,
    );
    for (const t of targets) {
      const s = summary[t.key];
      out(
        `  ${t.label.padEnd(36)} ${s.rps.toFixed(0).padStart(9)} ${String(s.p99Ms).padStart(7)} ${`${pct(s.rps).toFixed(1)}%`.padStart(10)} ${s.serverUsPerReq.toFixed(1).padStart(14)}`,
      );
    }
    out();
    out(`full-stack GET /version = ${ratios.versionPct.toFixed(1)}% of bare node:http (target: >= 60%)`);
    out(`full-stack GET /no-such-route (404) = ${ratios.notFoundPct.toFixed(1)}% of bare node:http`);
    out(
      `by server time per request: /version = ${ratios.versionByServerTimePct.toFixed(1)}%, 404 = ${ratios.notFoundByServerTimePct.toFixed(1)}% of bare (the ratio a server-bound run would show)`,
    );

    // Warnings and errors the app logged during the runs are worth seeing (info lines are only counted).
    const closing = app;
    app = undefined;
    await closing.close();
    await endLogStream(closing);
    logFd = undefined; // closed by the logger stream
    const logText = statSync(logFile).size > 0 ? readFileSync(logFile, 'utf8') : '';
    const logLines = logText ? logText.split('\n').filter(Boolean) : [];
    const loud = logLines.filter((line) => /"level":[456]0\b/.test(line));
    out(`app log: ${logLines.length} lines (${loud.length} at warn or above)`);
    for (const line of loud.slice(0, 5)) out(`  ${line.slice(0, 300)}`);

    if (problems.length > 0) {
      failed = true;
      out();
      out('PROBLEMS:');
      for (const p of problems) out(`  - ${p}`);
    }

    out();
    out(
      `BENCH_RESULT ${JSON.stringify({
        ok: !failed,
        node: process.version,
        logLevel,
        connections,
        durationS: duration,
        warmupS: warmup,
        rounds,
        targets: summary,
        ratios,
        targetVersionPct: 60,
        serverTime: SERVER_TIME_KIND,
        logLines: logLines.length,
        problems,
      })}`,
    );
  } catch (error) {
    failed = true;
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.stdout.write(`BENCH_RESULT ${JSON.stringify({ ok: false, error: String(error) })}\n`);
  } finally {
    if (bare) await closeBare(bare).catch(() => {});
    if (app) {
      await app.close().catch(() => {});
      if (logFd !== undefined) await endLogStream(app).catch(() => {});
    } else if (logFd !== undefined) {
      closeSync(logFd);
    }
    if (database) await database.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
