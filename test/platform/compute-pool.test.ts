import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RegoError } from '../../src/engines/rego/index.js';
import { ComputeError, ComputePool } from '../../src/platform/compute/pool.js';
import { createRegoPool, evaluateOnPool } from '../../src/platform/compute/rego.js';

const TASKS = new URL(
  import.meta.url.endsWith('.ts') ? './compute-test-tasks.ts' : './compute-test-tasks.js',
  import.meta.url,
);

/** Counts timer ticks while `work` runs, and the longest gap between two ticks. */
async function whileTicking<T>(
  work: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; ticks: number; maxGap: number }> {
  let ticks = 0;
  let last = Date.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(timer);
  return { result, ticks, maxGap };
}

describe('compute pool', () => {
  const pool = new ComputePool(TASKS, { size: 1, taskTimeoutMs: 2_000, maxQueue: 1 });
  after(() => pool.close());

  it('runs a task on a worker and returns its result', async () => {
    assert.deepEqual(await pool.run('echo', { a: [1, 2] }), { a: [1, 2] });
  });

  it("reports a task's error with its name and fields", async () => {
    await assert.rejects(pool.run('fail', null), (e: unknown) => {
      assert.ok(e instanceof ComputeError);
      assert.equal(e.code, 'task');
      assert.equal(e.message, 'task failed on purpose');
      assert.equal(e.remote?.fields.code, 'E_PURPOSE');
      return true;
    });
  });

  it('stops a task past its time limit, replaces the worker, and the event loop keeps ticking meanwhile', async () => {
    const { result, ticks, maxGap } = await whileTicking(() => pool.run('spin', null, { timeoutMs: 400 }));
    assert.equal(result.status, 'rejected');
    const e = (result as PromiseRejectedResult).reason;
    assert.ok(e instanceof ComputeError && e.code === 'timeout', String(e));
    assert.ok(ticks >= 10, `the timer ticked ${ticks} times`);
    assert.ok(maxGap < 200, `longest gap between ticks: ${maxGap} ms`);
    assert.deepEqual(await pool.run('echo', 'after'), 'after', 'a fresh worker answers');
  });

  it('refuses work beyond its queue bound with a clear error', async () => {
    const busy = pool.run('spin', null, { timeoutMs: 300 });
    const queued = pool.run('echo', 1, { timeoutMs: 2_000 });
    await assert.rejects(pool.run('echo', 2), (e: unknown) => e instanceof ComputeError && e.code === 'overloaded');
    await assert.rejects(busy, (e: unknown) => e instanceof ComputeError && e.code === 'timeout');
    assert.equal(await queued, 1, 'the queued task runs once the worker is replaced');
  });
});

describe('compute pool heap limit', () => {
  const pool = new ComputePool(TASKS, { size: 1, taskTimeoutMs: 10_000, maxHeapMb: 64 });
  after(() => pool.close());

  it('ends a worker that allocates past its heap limit, and answers again with a new one', async () => {
    await assert.rejects(pool.run('hog', null), (e: unknown) => e instanceof ComputeError && e.code === 'crashed');
    assert.equal(await pool.run('echo', 'alive'), 'alive');
  });
});

describe('Rego on the compute pool', () => {
  const pool = createRegoPool({ size: 1, taskTimeoutMs: 5_000 });
  after(() => pool.close());
  const policy = {
    file: 'policy.rego',
    text: `package example
import rego.v1
deny contains msg if {
  some r in input.tfplan.resource_changes
  r.type == "aws_instance"
  not r.change.after.tags.env
  msg := sprintf("%s has no env tag", [r.address])
}`,
  };

  it('evaluates a deny rule on a plan', async () => {
    const input = {
      tfplan: {
        resource_changes: [
          { address: 'aws_instance.a', type: 'aws_instance', change: { after: { tags: {} } } },
          { address: 'aws_instance.b', type: 'aws_instance', change: { after: { tags: { env: 'prod' } } } },
        ],
      },
    };
    const r = await evaluateOnPool(pool, { modules: [policy], query: 'data.example.deny', input });
    assert.deepEqual(r, { defined: true, value: ['aws_instance.a has no env tag'], prints: [], steps: r.steps });
  });

  it('stops an exploding policy by its step budget while the event loop keeps answering', async () => {
    const bomb = {
      file: 'bomb.rego',
      text: `package bomb
n := numbers.range(1, 2000)
x := count([1 | n[_]; n[_]; n[_]])`,
    };
    const { result, ticks, maxGap } = await whileTicking(() =>
      evaluateOnPool(pool, { modules: [bomb], query: 'data.bomb.x', maxSteps: 2_000_000, timeoutMs: 3_000 }),
    );
    assert.equal(result.status, 'rejected');
    const e = (result as PromiseRejectedResult).reason;
    assert.ok(e instanceof RegoError && e.kind === 'limit', String(e));
    assert.match(e.message, /budget/);
    assert.ok(ticks >= 3, `the timer ticked ${ticks} times`);
    assert.ok(maxGap < 200, `longest gap between ticks: ${maxGap} ms`);
  });

  it('stops a looping policy by its time limit', async () => {
    const loop = {
      file: 'loop.rego',
      text: `package loop
n := numbers.range(1, 100000)
x := count([1 | n[_]; n[_]])`,
    };
    await assert.rejects(
      evaluateOnPool(pool, { modules: [loop], query: 'data.loop.x', maxSteps: 1e12, timeoutMs: 300 }),
      (e: unknown) => e instanceof RegoError && e.kind === 'limit' && /time limit/.test(e.message),
    );
  });

  it('reports a parse error with its file, line and column', async () => {
    await assert.rejects(
      evaluateOnPool(pool, { modules: [{ file: 'bad.rego', text: 'package bad\np := [1,\n' }], query: 'data.bad.p' }),
      (e: unknown) => e instanceof RegoError && e.file === 'bad.rego' && e.line === 3 && e.column > 0,
    );
  });
});
