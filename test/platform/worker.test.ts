import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { enqueue } from '../../src/platform/jobs/queue.js';
import { cleanEnv } from '../helpers/cli.js';
import { eventually, sleep } from '../helpers/jobs.js';
import { probeRecord } from '../helpers/probe-kinds.js';
import { freshDatabaseUrl, testEngines } from '../helpers/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const helper = join(root, 'test', 'helpers', 'worker-process.ts');
const LEASE_MS = 1500;

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Two `gantry worker` processes on one PostgreSQL database, running the probe job kinds. */
describe('gantry worker processes (postgres)', { skip: !testEngines().includes('postgres') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-workers-'));
  const runLog = join(dir, 'runs.log');
  const masterKey = randomBytes(32).toString('hex');
  let url = '';
  let drop = async () => {};
  let database: DatabaseHandle;
  const workers: WorkerProcess[] = [];

  const start = (name: string): Promise<WorkerProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', helper], {
      cwd: root,
      env: cleanEnv({
        GANTRY_DATABASE_URL: url,
        GANTRY_DATA_DIR: join(dir, name),
        GANTRY_MASTER_KEY: masterKey,
        GANTRY_JWT_SECRET: 'a-shared-test-secret-of-32-characters!!',
        GANTRY_LOG_LEVEL: 'warn',
        GANTRY_WORKER_NAME: name,
        GANTRY_WORKER_TAGS: 'test,probe',
        GANTRY_JOBS_LEASE_MS: String(LEASE_MS),
        GANTRY_JOBS_POLL_MS: '200',
        GANTRY_SHUTDOWN_TIMEOUT_MS: '5000',
        GANTRY_TEST_RUN_LOG: runLog,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const worker = { name, child, output: () => output, exited };
    workers.push(worker);
    return eventually(() => output.includes('is running'), `${name} starts:\n${output}`, 60_000).then(() => worker);
  };
  const runs = () =>
    existsSync(runLog)
      ? readFileSync(runLog, 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' '))
      : [];
  const job = (id: number) => database.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  let first: WorkerProcess;
  let second: WorkerProcess;
  before(async () => {
    const fresh = await freshDatabaseUrl('postgres', dir);
    url = fresh.url;
    drop = fresh.drop;
    database = openDatabase(url);
    await migrateToLatest(database.db);
    [first, second] = await Promise.all([start('worker-a'), start('worker-b')]);
  });
  after(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await database?.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('both register with their name, tags and a heartbeat', async () => {
    const rows = await database.db.selectFrom('workers').selectAll().orderBy('name').execute();
    assert.deepEqual(
      rows.map((r) => [r.name, JSON.parse(r.tags), r.state]),
      [
        ['worker-a', ['test', 'probe'], 'running'],
        ['worker-b', ['test', 'probe'], 'running'],
      ],
    );
    assert.ok(JSON.parse(rows[0].kinds).includes('probe.record'));
    const before = Number(rows[0].heartbeat_at_ms);
    await eventually(
      async () =>
        Number(
          (
            await database.db
              .selectFrom('workers')
              .select('heartbeat_at_ms')
              .where('name', '=', 'worker-a')
              .executeTakeFirstOrThrow()
          ).heartbeat_at_ms,
        ) > before,
      'a heartbeat',
    );
  });

  it('a committed job runs exactly once across both; a rolled-back one never', async () => {
    await database.db
      .transaction()
      .execute(async (trx) => {
        await enqueue(trx, probeRecord, {});
        throw new Error('the operation fails');
      })
      .catch(() => {});
    const ids = await database.db.transaction().execute(async (trx) => {
      const out: number[] = [];
      for (let i = 0; i < 100; i++) out.push(await enqueue(trx, probeRecord, {}));
      return out;
    });
    await eventually(
      async () => {
        const done = await database.db
          .selectFrom('jobs')
          .select('id')
          .where('id', 'in', ids)
          .where('state', '=', 'done')
          .execute();
        return done.length === ids.length;
      },
      'all done',
      30_000,
    );
    await sleep(300);
    const ran = runs().filter(([what]) => what === 'run');
    const counts = new Map<string, number>();
    for (const [, id] of ran) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.deepEqual(
      [...counts.keys()].map(Number).sort((a, b) => a - b),
      ids,
    );
    assert.deepEqual(
      [...counts.values()].filter((n) => n !== 1),
      [],
    );
    const total = await database.db.selectFrom('jobs').select('id').where('kind', '=', 'probe.record').execute();
    assert.equal(total.length, ids.length, 'the rolled-back job does not exist');
  });

  it('SIGKILL of the worker holding a job: the other takes it again after the lease', async () => {
    const id = await enqueue(database.db, probeRecord, { hangFirst: true });
    await eventually(
      () => runs().some(([what, jobId]) => what === 'hang' && Number(jobId) === id),
      'a worker holds it',
    );
    const holder = runs().find(([what, jobId]) => what === 'hang' && Number(jobId) === id)![2];
    const victim = holder === first.name ? first : second;
    const survivor = victim === first ? second : first;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    await eventually(async () => (await job(id)).state === 'done', 'taken again and done', 20_000);
    const takenAfter = Date.now() - killedAt;
    const row = await job(id);
    assert.equal(row.attempts, 2);
    assert.match(row.last_error ?? '', /lease expired/);
    const reran = runs().filter(([what, jobId]) => what === 'run' && Number(jobId) === id);
    assert.deepEqual(
      reran.map(([, , name]) => name),
      [survivor.name],
    );
    // The lease had up to LEASE_MS left when the holder died (it renews every third of it).
    assert.ok(takenAfter >= LEASE_MS / 3, `taken again ${takenAfter} ms after the kill`);
    // The dead worker is replaced, as an orchestrator would.
    const restarted = await start(victim.name);
    if (victim === first) first = restarted;
    else second = restarted;
  });

  it('a periodic job runs on one worker per tick', async () => {
    // Ticks every 300 ms on a grid; two workers firing one tick would make two jobs in one slot.
    const since = Date.now();
    await sleep(2000);
    const ticks = await database.db
      .selectFrom('jobs')
      .select(['id', 'run_at_ms'])
      .where('kind', '=', 'probe.tick')
      .where('created_at_ms', '>=', since)
      .execute();
    const schedule = await database.db
      .selectFrom('job_schedules')
      .selectAll()
      .where('name', '=', 'probe.tick')
      .executeTakeFirstOrThrow();
    // Each job's run_at is its tick, on the 300 ms grid: a tick fired by both would appear twice.
    const slots = ticks.map((t) => (Number(schedule.next_run_at_ms) - Number(t.run_at_ms)) / 300);
    assert.ok(ticks.length >= 4, `${ticks.length} ticks in 2 s`);
    assert.ok(slots.every(Number.isInteger), `slots: ${slots.join(', ')}`);
    assert.equal(new Set(slots).size, slots.length, `slots: ${slots.join(', ')}`);
    const tickRuns = runs().filter(([what]) => what === 'tick');
    const byJob = new Map<string, number>();
    for (const [, id] of tickRuns) byJob.set(id, (byJob.get(id) ?? 0) + 1);
    assert.deepEqual(
      [...byJob.values()].filter((n) => n !== 1),
      [],
    );
  });

  it('SIGTERM drains: the workers exit 0 and record that they stopped', async () => {
    for (const w of [first, second]) w.child.kill('SIGTERM');
    assert.deepEqual(await Promise.all([first.exited, second.exited]), [0, 0]);
    const rows = await database.db.selectFrom('workers').select(['name', 'state']).orderBy('name').execute();
    assert.deepEqual(
      rows.map((r) => r.state),
      ['stopped', 'stopped'],
    );
  });
});
