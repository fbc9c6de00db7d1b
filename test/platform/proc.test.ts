import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MASK, ProcessError, runProcess, succeeded } from '../../src/platform/proc/index.js';

/** Whether a pid still runs (a zombie waiting for its reaper counts as gone). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return !/\) Z /.test(readFileSync(stat, 'utf8'));
  } catch {
    return false;
  }
}

describe('child processes', () => {
  it('passes arguments as a vector: nothing is interpreted by a shell', async () => {
    const hostile = '$(touch /tmp/gantry-never); `id` ; echo pwned | cat > /dev/null';
    const result = await runProcess('printf', ['%s', hostile], { inheritEnv: ['PATH'] });
    assert.ok(succeeded(result));
    assert.equal(result.stdout, hostile);
  });

  it('inherits nothing from the server environment unless named', async () => {
    process.env.GANTRY_TEST_PROC_SECRET = 'server-only-value';
    try {
      const bare = await runProcess('/usr/bin/env', [], { env: { GIVEN: 'yes' } });
      assert.equal(bare.stdout.trim(), 'GIVEN=yes');
      const named = await runProcess('/usr/bin/env', [], { inheritEnv: ['PATH', 'GANTRY_TEST_PROC_SECRET'] });
      assert.match(named.stdout, /^PATH=/m);
      assert.match(named.stdout, /GANTRY_TEST_PROC_SECRET=server-only-value/);
      const unnamed = await runProcess('/usr/bin/env', [], { inheritEnv: ['PATH'] });
      assert.doesNotMatch(unnamed.stdout, /server-only-value/);
    } finally {
      delete process.env.GANTRY_TEST_PROC_SECRET;
    }
  });

  it('feeds stdin and reports the exit code', async () => {
    const result = await runProcess('sh', ['-c', 'cat; exit 3'], { inheritEnv: ['PATH'], stdin: 'hello' });
    assert.equal(result.code, 3);
    assert.equal(result.end, 'exited');
    assert.equal(result.stdout, 'hello');
    assert.ok(!succeeded(result));
  });

  it('kills the whole group with SIGKILL when the time limit passes and SIGTERM is ignored', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_: object, msg: string) => warnings.push(msg), debug: () => {} };
    const script = 'trap "" TERM; sleep 30 & echo $!; wait';
    const result = await runProcess('sh', ['-c', script], {
      inheritEnv: ['PATH'],
      timeoutMs: 200,
      killGraceMs: 200,
      logger,
    });
    assert.equal(result.end, 'timeout');
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(result.durationMs < 3_000, `took ${result.durationMs} ms`);
    const grandchild = Number(result.stdout.trim());
    assert.ok(grandchild > 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!running(grandchild), 'the forked sleep died with the group');
    assert.ok(warnings.some((w) => /time limit/.test(w)));
    assert.ok(warnings.some((w) => /ignored SIGTERM/.test(w)));
  });

  it('does not wait for what a process forked and left behind, and ends it', async () => {
    const result = await runProcess('sh', ['-c', 'sleep 30 & echo $!'], { inheritEnv: ['PATH'], timeoutMs: 10_000 });
    assert.ok(succeeded(result));
    assert.ok(result.durationMs < 3_000, `took ${result.durationMs} ms`);
    const orphan = Number(result.stdout.trim());
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!running(orphan), 'the background sleep was killed');
  });

  it('stops waiting a second after the end for a descendant that left the group and holds the output', async () => {
    const script = "setsid sh -c 'echo $$; exec sleep 30' & sleep 0.3";
    const result = await runProcess('sh', ['-c', script], { inheritEnv: ['PATH'] });
    const escaped = Number(result.stdout.trim());
    try {
      assert.ok(succeeded(result));
      assert.ok(escaped > 0 && running(escaped), 'it escaped the group kill');
      assert.ok(result.durationMs >= 1_000 && result.durationMs < 4_000, `took ${result.durationMs} ms`);
    } finally {
      if (escaped > 0 && running(escaped)) process.kill(escaped, 'SIGKILL');
    }
  });

  it('keeps output up to the cap and counts the rest; or ends a flooding process', async () => {
    const kept = await runProcess('head', ['-c', '3000000', '/dev/zero'], {
      inheritEnv: ['PATH'],
      maxOutputBytes: 65_536,
    });
    assert.ok(succeeded(kept));
    assert.equal(kept.stdout.length, 65_536);
    assert.equal(kept.stdoutTotal, 3_000_000);
    assert.ok(kept.truncated);

    const lines: string[] = [];
    const flood = await runProcess('yes', ['flood'], {
      inheritEnv: ['PATH'],
      maxOutputBytes: 60_000,
      onOverflow: 'kill',
      onLine: (line) => lines.push(line),
      timeoutMs: 10_000,
    });
    assert.equal(flood.end, 'overflow');
    assert.equal(flood.stdout.length, 60_000);
    assert.ok(flood.durationMs < 5_000);
    assert.equal(lines.length, 10_000, 'lines stream from the kept bytes only');
    assert.ok(lines.every((l) => l === 'flood'));
  });

  it('streams lines and masks secrets in lines and in what is kept, even cut by the cap', async () => {
    const lines: { line: string; stream: string }[] = [];
    const secret = 'hunter2-secret';
    const result = await runProcess(
      'sh',
      ['-c', `printf 'one\\r\\ntoken=${secret}\\n'; printf 'err ${secret}' >&2; printf 'three'`],
      {
        inheritEnv: ['PATH'],
        secrets: [secret, undefined, 'ab'],
        onLine: (line, stream) => lines.push({ line, stream }),
      },
    );
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stdout').map((l) => l.line),
      ['one', `token=${MASK}`, 'three'],
    );
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stderr').map((l) => l.line),
      [`err ${MASK}`],
    );
    assert.equal(result.stdout, `one\r\ntoken=${MASK}\nthree`);
    assert.equal(result.stderr, `err ${MASK}`);

    const cut = await runProcess('printf', ['%s', `0123456789${secret}`], {
      inheritEnv: ['PATH'],
      secrets: [secret],
      maxOutputBytes: 16,
    });
    assert.equal(cut.stdout, `0123456789${MASK}`);
  });

  it('ends the group on abort', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('too large'), 100);
    const result = await runProcess('sleep', ['30'], { inheritEnv: ['PATH'], signal: controller.signal });
    assert.equal(result.end, 'aborted');
    assert.equal(result.signal, 'SIGTERM');
  });

  it('keeps stdout as bytes on request', async () => {
    const result = await runProcess('printf', ['\\000\\377ok'], { inheritEnv: ['PATH'], binaryStdout: true });
    assert.deepEqual([...result.stdoutBytes], [0, 255, 111, 107]);
    assert.equal(result.stdout, '');
  });

  it('rejects with a clear error when the program does not exist', async () => {
    await assert.rejects(
      runProcess('gantry-no-such-program', [], { inheritEnv: ['PATH'] }),
      (error: unknown) => error instanceof ProcessError && error.reason === 'not-found',
    );
    await assert.rejects(
      runProcess('sh', ['-c', 'true'], { inheritEnv: ['PATH'], cwd: '/nonexistent-gantry-dir' }),
      (error: unknown) =>
        error instanceof ProcessError && error.reason === 'spawn-failed' && /does not exist/.test(error.message),
    );
  });
});
