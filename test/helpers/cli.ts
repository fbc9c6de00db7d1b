import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'gantry.js');

/** The environment of a spawned `gantry`: this one without any GANTRY_* setting, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GANTRY_')) env[k] = v;
  return { ...env, GANTRY_LOG_PRETTY: 'false', ...extra };
}

export interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** SIGTERM, resolving with the exit code. */
  stop: () => Promise<number | null>;
}

/** Runs `bin/gantry.js` the way operators do; `cleanup()` kills what is left and removes the directories. */
export class CliSandbox {
  private readonly dirs: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(private readonly prefix: string) {}

  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** A command that must end by itself (a start that fails, an admin command), with its whole output. */
  run(args: string[], env: Record<string, string>) {
    const result = spawnSync(process.execPath, [bin, ...args], {
      env: cleanEnv(env),
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, all: result.stdout + result.stderr };
  }

  /** Starts `gantry serve`; resolves once it prints its URL, rejects if it exits first. */
  serve(env: Record<string, string>): Promise<Served> {
    const child = spawn(process.execPath, [bin, 'serve'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Gantry is running at (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          const stop = () => {
            child.kill('SIGTERM');
            return exited;
          };
          resolve({ child, url: match[1]!, output: () => output, stop });
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    });
  }

  cleanup(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}
