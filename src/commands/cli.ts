/** What a command reads and writes: the process's streams and environment, or a test's. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Returned by commands that keep running (serve, worker): the process exits when they decide. */
export const KEEP_RUNNING = -1;

/** Wrong arguments: the command line prints the message and the usage, and exits with 2. */
export class UsageError extends Error {}

export type Options = Record<string, string | true>;

/** `--name value` options and `--flag` switches; anything not declared is a usage error. */
export function parseOptions(args: string[], values: string[], switches: string[] = []): Options {
  const options: Options = {};
  for (let i = 0; i < args.length; i++) {
    const name = args[i].replace(/^--/, '');
    if (!args[i].startsWith('--')) throw new UsageError(`unexpected argument '${args[i]}'`);
    if (switches.includes(name)) options[name] = true;
    else if (values.includes(name)) {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    } else throw new UsageError(`unknown option --${name}`);
  }
  return options;
}

export function required(options: Options, name: string): string {
  const value = options[name];
  if (typeof value !== 'string') throw new UsageError(`--${name} is required`);
  return value;
}

export const optional = (options: Options, name: string) =>
  typeof options[name] === 'string' ? (options[name] as string) : undefined;

/**
 * Stops a long-running command on SIGTERM or SIGINT: `stop` drains and closes; after `timeoutMs` the
 * process exits 1 regardless.
 */
export function stopOnSignals(timeoutMs: number, stop: (signal: string) => Promise<void>, onTimeout: () => void): void {
  let stopping = false;
  const handle = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      onTimeout();
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    await stop(signal);
    process.exit(0);
  };
  process.once('SIGTERM', () => void handle('SIGTERM'));
  process.once('SIGINT', () => void handle('SIGINT'));
}
