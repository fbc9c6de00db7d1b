import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { maskSecrets, maskTruncated, usableSecrets } from './mask.js';

/**
 * Child processes (git today; Terraform and Ansible steps later) run through `runProcess`, so every one
 * gets the same guarantees:
 * - an argument vector, never a shell string (`shell` is never set, so nothing is interpreted);
 * - its own process group, so a time limit or an abort ends the whole tree (SIGTERM, then SIGKILL after
 *   a grace period), and whatever it forked and left behind is killed when it exits;
 * - an environment given explicitly: nothing of the server's is inherited unless named in `inheritEnv`
 *   (the server's environment holds the master key, the database URL and the signing secret);
 * - output kept up to a byte cap per stream, streamed line by line to a callback, and the given secrets
 *   masked in both.
 * A process that starts and ends, however badly, resolves with a result; only a failure to start (no
 * such program) rejects, with a ProcessError.
 */
export interface RunOptions {
  cwd?: string;
  /** The environment, exactly. */
  env?: Record<string, string>;
  /** Names copied from the server's environment when set there (e.g. `PATH`). */
  inheritEnv?: readonly string[];
  /** Written to the process's standard input, which is then closed; without it stdin is empty. */
  stdin?: string | Buffer;
  /** Whole-run limit; then SIGTERM to the group, then SIGKILL after `killGraceMs`. Default 10 minutes. */
  timeoutMs?: number;
  /** Default 5 s. */
  killGraceMs?: number;
  /** Bytes kept per stream (stdout, stderr). Default 1 MiB. */
  maxOutputBytes?: number;
  /** What to do past the cap: keep running and drop the rest (default), or end the process. */
  onOverflow?: 'truncate' | 'kill';
  /** Masked (as `[masked]`) in kept output and in streamed lines. */
  secrets?: readonly (string | undefined)[];
  /**
   * Each complete line (without its line ending), secrets masked; lines are cut at 64 KiB, and nothing
   * past the byte cap is streamed.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Keep stdout as bytes (`stdoutBytes`), unmasked and not split into lines: for content the caller
   * asked for, such as a file read out of git. `stdout` is then empty.
   */
  binaryStdout?: boolean;
  /** Ends the process like a timeout does. */
  signal?: AbortSignal;
  /** Where timeouts, kills and overflows are reported (warn). */
  logger?: ProcessLogger;
}

/** The part of a pino (or Fastify) logger used here. */
export interface ProcessLogger {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export type RunEnd = 'exited' | 'timeout' | 'overflow' | 'aborted';

export interface RunResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it ended: on its own (`exited`, whatever the code), or ended by us. */
  end: RunEnd;
  stdout: string;
  stderr: string;
  /** Only with `binaryStdout`. */
  stdoutBytes: Buffer;
  /** Bytes the process wrote, kept or not. */
  stdoutTotal: number;
  stderrTotal: number;
  truncated: boolean;
  durationMs: number;
}

export class ProcessError extends Error {
  constructor(
    public readonly reason: 'not-found' | 'spawn-failed',
    message: string,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

const MAX_LINE = 64 * 1024;

/** Whether a result is a clean exit with code 0. */
export function succeeded(result: RunResult): boolean {
  return result.end === 'exited' && result.code === 0;
}

export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const graceMs = options.killGraceMs ?? 5_000;
  const cap = options.maxOutputBytes ?? 1024 * 1024;
  const secrets = usableSecrets(options.secrets);
  const env: Record<string, string> = {};
  for (const name of options.inheritEnv ?? []) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  const started = Date.now();
  const log = options.logger;

  // spawn reports a missing working directory as a missing program (ENOENT): tell them apart.
  if (options.cwd !== undefined && !existsSync(options.cwd)) {
    return Promise.reject(new ProcessError('spawn-failed', `${command}: the directory ${options.cwd} does not exist`));
  }
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [...args], {
        cwd: options.cwd,
        env,
        detached: true, // its own process group (setsid), so the group can be signalled as one
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      reject(new ProcessError('spawn-failed', `${command} could not be started: ${(error as Error).message}`));
      return;
    }

    let end: RunEnd = 'exited';
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let finished = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const size = { stdout: 0, stderr: 0 };
    const total = { stdout: 0, stderr: 0 };
    const partial = { stdout: '', stderr: '' };
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    let truncated = false;

    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const stop = (why: Exclude<RunEnd, 'exited'>, detail: string) => {
      if (end !== 'exited' || exitCode !== null || exitSignal !== null) return;
      end = why;
      log?.warn({ command, pid: child.pid, reason: why }, `stopping ${command}: ${detail}`);
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => {
        log?.warn({ command, pid: child.pid }, `${command} ignored SIGTERM for ${graceMs} ms: killing its group`);
        signalGroup('SIGKILL');
      }, graceMs);
      killTimer.unref();
    };

    const timer = setTimeout(() => stop('timeout', `time limit of ${timeoutMs} ms reached`), timeoutMs);
    const onAbort = () => stop('aborted', `aborted (${String(options.signal?.reason ?? 'no reason')})`);
    if (options.signal?.aborted) queueMicrotask(onAbort);
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    const emitLine = (line: string, stream: 'stdout' | 'stderr') => {
      const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
      try {
        options.onLine?.(maskSecrets(clean, secrets), stream);
      } catch (error) {
        log?.warn({ command, err: error }, 'a process output callback threw');
      }
    };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      total[stream] += chunk.length;
      const room = Math.max(0, cap - size[stream]);
      const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
      if (piece.length > 0) {
        kept[stream].push(piece);
        size[stream] += piece.length;
      }
      if (chunk.length > room) {
        if (!truncated) log?.warn({ command, stream, cap }, `${command} wrote more than ${cap} bytes on ${stream}`);
        truncated = true;
        if (options.onOverflow === 'kill') stop('overflow', `more than ${cap} bytes on ${stream}`);
      }
      // Lines stream from the kept bytes only: the cap bounds what a callback receives too.
      if (!options.onLine || piece.length === 0 || (stream === 'stdout' && options.binaryStdout)) return;
      const buffered = partial[stream] + decoders[stream].write(piece);
      let start = 0;
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n', start)) {
        emitLine(buffered.slice(start, newline), stream);
        start = newline + 1;
      }
      let text = buffered.slice(start);
      while (text.length > MAX_LINE) {
        emitLine(text.slice(0, MAX_LINE), stream);
        text = text.slice(MAX_LINE);
      }
      partial[stream] = text;
    };
    child.stdout?.on('data', collect('stdout'));
    child.stderr?.on('data', collect('stderr'));

    child.stdin?.on('error', () => {
      // EPIPE: the process did not read all its input; its exit status tells what happened.
    });
    child.stdin?.end(options.stdin);

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') reject(new ProcessError('not-found', `${command} was not found`));
      else reject(new ProcessError('spawn-failed', `${command} could not be started (${error.code ?? error.message})`));
    });

    child.on('exit', (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      // Whatever it forked and left running dies with it; its pipes then close and 'close' follows.
      signalGroup('SIGKILL');
      // A descendant that left the group (setsid) may still hold the pipes: do not wait for it forever.
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 1_000).unref();
    });

    child.on('close', () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const stream of ['stdout', 'stderr'] as const) {
        const rest = options.onLine ? partial[stream] + decoders[stream].end() : '';
        if (rest) emitLine(rest, stream);
      }
      const text = (stream: 'stdout' | 'stderr') => {
        const raw = Buffer.concat(kept[stream]).toString('utf8');
        return total[stream] > size[stream] ? maskTruncated(raw, secrets) : maskSecrets(raw, secrets);
      };
      const result: RunResult = {
        code: exitCode,
        signal: exitSignal,
        end,
        stdout: options.binaryStdout ? '' : text('stdout'),
        stderr: text('stderr'),
        stdoutBytes: options.binaryStdout ? Buffer.concat(kept.stdout) : Buffer.alloc(0),
        stdoutTotal: total.stdout,
        stderrTotal: total.stderr,
        truncated,
        durationMs: Date.now() - started,
      };
      log?.debug(
        { command, code: exitCode, signal: exitSignal, end, durationMs: result.durationMs },
        `${command} finished`,
      );
      resolve(result);
    });
  });
}
