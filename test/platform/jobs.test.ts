import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { handleJob, jobKind, parseEvery } from '../../src/platform/jobs/kinds.js';
import { claimJobs, enqueue } from '../../src/platform/jobs/queue.js';
import { eventually, JobsLab, sleep } from '../helpers/jobs.js';
import { testEngines } from '../helpers/server.js';

let kinds = 0;
/** A kind of its own for each test, so runners of one test never take another's jobs. */
const freshKind = <P>(options: Parameters<typeof jobKind>[1] = {}) => jobKind<P>(`test.kind${++kinds}`, options);

for (const engine of testEngines()) {
  describe(`background jobs (${engine})`, () => {
    let lab: JobsLab;
    before(async () => {
      lab = await new JobsLab(engine).open();
    });
    after(() => lab.close());

    it('a job enqueued in a rolled-back transaction never runs; a committed one runs once', async () => {
      const kind = freshKind<{ n: number }>();
      const seen: number[] = [];
      await lab.runner([handleJob(kind, async (p) => void seen.push(p.n))]).start();
      await lab.db
        .transaction()
        .execute(async (trx) => {
          await enqueue(trx, kind, { n: 1 });
          throw new Error('the operation fails');
        })
        .catch(() => {});
      const id = await lab.db.transaction().execute((trx) => enqueue(trx, kind, { n: 2 }));
      await eventually(async () => (await lab.job(id)).state === 'done', 'the committed job is done');
      await sleep(100);
      assert.deepEqual(seen, [2]);
      const rows = await lab.db.selectFrom('jobs').select('id').where('kind', '=', kind.name).execute();
      assert.equal(rows.length, 1, 'the rolled-back job does not exist');
    });

    it('an idle runner is woken by the enqueue, not by its poll', async () => {
      const kind = freshKind();
      const started: number[] = [];
      await lab.runner([handleJob(kind, async () => void started.push(Date.now()))], { pollMs: 600_000 }).start();
      await sleep(50);
      for (let i = 0; i < 5; i++) {
        const at = Date.now();
        await enqueue(lab.db, kind, null);
        await eventually(() => started.length === i + 1, 'the job starts');
        assert.ok(started[i] - at < 500, `started ${started[i] - at} ms after the enqueue`);
      }
    });

    it('a job for later starts at its time, not before', async () => {
      const kind = freshKind();
      let startedAt = 0;
      const handler = handleJob(kind, async () => {
        startedAt = Date.now();
      });
      await lab.runner([handler], { pollMs: 600_000 }).start();
      const runAt = Date.now() + 300;
      await enqueue(lab.db, kind, null, { runAt });
      await eventually(() => startedAt > 0, 'the job starts');
      assert.ok(startedAt >= runAt, 'not before its time');
      assert.ok(startedAt - runAt < 200, `started ${startedAt - runAt} ms late`);
    });

    it('two runners share the queue: every job runs exactly once', async () => {
      const kind = freshKind<{ n: number }>();
      const runs = new Map<number, number>();
      const handler = handleJob(kind, async (p: { n: number }) => {
        runs.set(p.n, (runs.get(p.n) ?? 0) + 1);
        await sleep(Math.random() * 3);
      });
      const a = lab.runner([handler], { concurrency: 3 });
      const b = lab.runner([handler], { concurrency: 3 }, lab.handle());
      await Promise.all([a.start(), b.start()]);
      for (let n = 0; n < 200; n++) await enqueue(lab.db, kind, { n });
      await eventually(() => runs.size === 200, 'every job ran', 30_000);
      await sleep(200);
      assert.deepEqual(
        [...runs.values()].filter((count) => count !== 1),
        [],
      );
      const byRunner = await lab.db
        .selectFrom('jobs')
        .select(['state'])
        .where('kind', '=', kind.name)
        .where('state', '!=', 'done')
        .execute();
      assert.deepEqual(byRunner, []);
    });

    it('a key keeps one pending job: a second enqueue returns the first', async () => {
      const kind = freshKind();
      const first = await enqueue(lab.db, kind, { v: 1 }, { key: 'repo-7', runAt: Date.now() + 60_000 });
      const second = await enqueue(lab.db, kind, { v: 2 }, { key: 'repo-7', runAt: Date.now() + 60_000 });
      const other = await enqueue(lab.db, kind, { v: 3 }, { key: 'repo-8', runAt: Date.now() + 60_000 });
      assert.equal(second, first);
      assert.notEqual(other, first);
      assert.equal(JSON.parse((await lab.job(first)).payload).v, 1);
    });

    it('a throwing handler is retried with a delay, then dead with its error kept', async () => {
      const kind = freshKind({ maxAttempts: 3, backoffMs: () => 50 });
      let calls = 0;
      await lab
        .runner([
          handleJob(kind, async () => {
            calls++;
            throw new TypeError(`broken ${calls}`);
          }),
        ])
        .start();
      const id = await enqueue(lab.db, kind, null);
      await eventually(async () => (await lab.job(id)).state === 'dead', 'the job is dead');
      const job = await lab.job(id);
      assert.equal(calls, 3);
      assert.equal(job.attempts, 3);
      assert.equal(job.last_error, 'TypeError: broken 3');
      assert.equal(job.locked_by, null);
      assert.ok(job.finished_at_ms);
    });

    it('an at-most-once kind is never started twice', async () => {
      const kind = freshKind({ maxAttempts: 1 });
      let calls = 0;
      await lab
        .runner([
          handleJob(kind, async () => {
            calls++;
            throw new Error('once is enough');
          }),
        ])
        .start();
      const id = await enqueue(lab.db, kind, null);
      await eventually(async () => (await lab.job(id)).state === 'dead', 'the job is dead');
      await sleep(100);
      assert.equal(calls, 1);
      assert.equal((await lab.job(id)).last_error, 'Error: once is enough');
    });

    it('a hanging handler times out: aborted, recorded, retried', async () => {
      const kind = freshKind({ maxAttempts: 2, timeoutMs: 100, backoffMs: () => 10 });
      let aborted = 0;
      let calls = 0;
      await lab
        .runner([
          handleJob(kind, async (_p, ctx) => {
            calls++;
            if (calls === 1) {
              ctx.signal.addEventListener('abort', () => aborted++);
              await new Promise(() => {}); // never settles
            }
          }),
        ])
        .start();
      const id = await enqueue(lab.db, kind, null);
      await eventually(async () => (await lab.job(id)).state === 'done', 'the retry succeeds');
      const job = await lab.job(id);
      assert.equal(aborted, 1);
      assert.equal(job.attempts, 2);
      assert.equal(job.last_error, 'timed out after 100 ms');
    });

    it('a transactional handler that fails leaves nothing half-written', async () => {
      const kind = freshKind({ maxAttempts: 1, transaction: true });
      await lab
        .runner([
          handleJob(kind, async (_p, ctx) => {
            await ctx.db
              .insertInto('instance_settings')
              .values({ key: `half-${kind.name}`, value: 'x', updated_at: 0 })
              .execute();
            throw new Error('after the first write');
          }),
        ])
        .start();
      const id = await enqueue(lab.db, kind, null);
      await eventually(async () => (await lab.job(id)).state === 'dead', 'the job is dead');
      const written = await lab.db
        .selectFrom('instance_settings')
        .select('key')
        .where('key', '=', `half-${kind.name}`)
        .execute();
      assert.deepEqual(written, []);
    });

    it("a dead runner's job is taken again after its lease; on its last attempt it is buried", async () => {
      const retried = freshKind({ maxAttempts: 3 });
      const once = freshKind({ maxAttempts: 1 });
      const a = await enqueue(lab.db, retried, null);
      const b = await enqueue(lab.db, once, null);
      // A runner claims both and dies without a word.
      const claimed = await claimJobs(lab.db, 'crashed#000000', [retried.name, once.name], 10, 300);
      assert.deepEqual(claimed.map((j) => j.id).sort(), [a, b].sort());
      let ran = 0;
      const runner = lab.runner([handleJob(retried, async () => void ran++), handleJob(once, async () => void ran++)], {
        pollMs: 100,
      });
      await runner.start();
      await sleep(100);
      assert.equal((await lab.job(a)).state, 'running', 'not before the lease runs out');
      await eventually(async () => (await lab.job(a)).state === 'done', 'taken again and done');
      await eventually(async () => (await lab.job(b)).state === 'dead', 'the at-most-once job is buried');
      assert.equal(ran, 1);
      assert.match((await lab.job(b)).last_error ?? '', /lease expired/);
      assert.equal((await lab.job(a)).attempts, 2);
    });

    it('a periodic job is enqueued by one runner per tick', async () => {
      const kind = freshKind();
      const runs: number[] = [];
      const handler = handleJob(kind, async () => void runs.push(Date.now()));
      const schedules = [{ kind, every: '200ms' }];
      const started = Date.now();
      const a = lab.runner([handler], { schedules, pollMs: 50 });
      const b = lab.runner([handler], { schedules, pollMs: 50 }, lab.handle());
      await Promise.all([a.start(), b.start()]);
      await sleep(1100);
      await Promise.all([a.stop(), b.stop()]);
      const elapsed = Date.now() - started;
      const jobs = await lab.db
        .selectFrom('jobs')
        .select(['run_at_ms', 'state'])
        .where('kind', '=', kind.name)
        .execute();
      // One at start, then one per 200 ms at most: two runners firing each tick would make twice as many.
      assert.ok(jobs.length >= 3, `only ${jobs.length} runs`);
      assert.ok(jobs.length <= Math.floor(elapsed / 200) + 1, `${jobs.length} runs in ${elapsed} ms`);
      // Each job's run_at is its tick, on a 200 ms grid: a tick fired twice would appear twice.
      const schedule = await lab.db
        .selectFrom('job_schedules')
        .select('next_run_at_ms')
        .where('name', '=', kind.name)
        .executeTakeFirstOrThrow();
      const ticks = jobs.map((j) => (Number(schedule.next_run_at_ms) - Number(j.run_at_ms)) / 200);
      assert.ok(ticks.every(Number.isInteger), `ticks: ${ticks.join(', ')}`);
      assert.equal(new Set(ticks).size, ticks.length, `ticks fired: ${ticks.join(', ')}`);
      const done = jobs.filter((j) => j.state === 'done');
      assert.equal(runs.length, done.length, 'each run once (a tick fired at the stop may wait for the next runner)');
      assert.ok(done.length >= jobs.length - 1);
    });

    it('stop lets running jobs finish, and hands back those that do not in time', async () => {
      const quick = freshKind();
      const slow = freshKind({ maxAttempts: 3 });
      const slowOnce = freshKind({ maxAttempts: 1 });
      let quickDone = false;
      const runner = lab.runner([
        handleJob(quick, async () => {
          await sleep(100);
          quickDone = true;
        }),
        handleJob(slow, async (_p, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        }),
        handleJob(slowOnce, () => new Promise(() => {})),
      ]);
      await runner.start();
      const q = await enqueue(lab.db, quick, null);
      const s = await enqueue(lab.db, slow, null);
      const o = await enqueue(lab.db, slowOnce, null);
      await eventually(async () => (await lab.job(o)).state === 'running', 'all running');
      await eventually(async () => (await lab.job(s)).state === 'running', 'all running');
      await runner.stop(300);
      assert.equal(quickDone, true);
      assert.equal((await lab.job(q)).state, 'done');
      const handedBack = await lab.job(s);
      assert.equal(handedBack.state, 'failed', 'retried at once by another runner');
      assert.ok(Number(handedBack.run_at_ms) <= Date.now());
      assert.equal((await lab.job(o)).state, 'dead', 'an at-most-once job that may have run is not run again');
      const worker = await lab.db
        .selectFrom('workers')
        .selectAll()
        .where('name', '=', runner.id.split('#')[0])
        .executeTakeFirstOrThrow();
      assert.equal(worker.state, 'stopped');
    });

    it('refuses bad declarations and payloads at once', async () => {
      assert.throws(() => jobKind('Bad Name'), /invalid job kind name/);
      assert.throws(() => jobKind('ok.kind', { maxAttempts: 0 }), /maxAttempts/);
      assert.throws(() => parseEvery('10 minutes'), /invalid schedule interval/);
      assert.equal(parseEvery('10m'), 600_000);
      const kind = freshKind();
      assert.throws(
        () => lab.runner([handleJob(kind, async () => {}), handleJob(kind, async () => {})]),
        /two handlers/,
      );
      assert.throws(() => lab.runner([], { schedules: [{ kind, every: '1m' }] }), /no handler for job kind/);
      await assert.rejects(enqueue(lab.db, kind, null, { key: '' }), /1 to 200 characters/);
      await assert.rejects(enqueue(lab.db, kind, null, { runAt: Number.NaN }), /not a valid time/);
    });
  });
}
