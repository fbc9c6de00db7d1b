import { admin } from './commands/admin.js';
import { type CommandIo, UsageError } from './commands/cli.js';
import { migrate } from './commands/migrate.js';
import { policyEval } from './commands/policy-eval.js';
import { serve } from './commands/serve.js';
import { stackRender } from './commands/stack-render.js';
import { templateRender } from './commands/template-render.js';
import { worker } from './commands/worker.js';
import { ConfigError } from './config.js';
import { SealingError } from './platform/crypto/sealing.js';
import { AppError } from './platform/errors.js';

/**
 * One entry per command: its usage lines for `help`, and the function running it. A command returns
 * its exit code, or KEEP_RUNNING (-1) when it keeps the process alive (serve, worker).
 */
interface Command {
  usage: string;
  run: (args: string[], io: CommandIo) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    usage: `serve     run the API server and the jobs (migrates the database first; creates the first admin on an
            empty one)`,
    run: serve,
  },
  worker: {
    usage: `worker    run jobs only, no HTTP, beside serve replicas (PostgreSQL only); SIGTERM drains`,
    run: worker,
  },
  migrate: {
    usage: 'migrate   apply pending database migrations and exit',
    run: migrate,
  },
  admin: {
    usage: `admin create-api-key --org <canonical> [--name <name>] [--readonly]
            print a new full-admin API key of an organization (the key alone on stdout)
  admin create-user --email <email> --username <username> [--password <password>]
                    [--org <canonical> [--role <role canonical>]] [--given-name <name>] [--family-name <name>]
            create a verified account (prints the password when generated), optionally a member of --org
  admin rotate-master-key [--new-key-file <path>]
            re-wrap the data keys that seal secrets under a new master key (generated unless given);
            rewrites <data dir>/master.key, or prints the new key when GANTRY_MASTER_KEY is used`,
    run: admin,
  },
  policy: {
    usage: `policy eval [--data FILE] [--input FILE] --query QUERY MODULE.rego…
            evaluate a Rego query like the server does: its value as JSON on stdout, nothing when
            undefined; errors with file, line and column on stderr (exit 1). No configuration, no database`,
    run: (args, io) => policyEval(args, lineIo(io)),
  },
  template: {
    usage: `template render [--delims LEFT,RIGHT] [--data FILE.json] TEMPLATE_FILE
            render one Go text/template with the stack engine's functions; errors with line and column
            on stderr (exit 1). No configuration, no database`,
    run: async (args, io) => {
      if (args[0] !== 'render') throw new UsageError("template: the subcommand is 'render'");
      return templateRender(args.slice(1), lineIo(io));
    },
  },
  stack: {
    usage: `stack render DIR --use-case USE_CASE [--vars FILE] [--org O] [--project P] [--env E] [--component C]
            render a stack folder's files for a component as the server does on creation, each after a
            "# --- <destination>" line; errors with file, line and column on stderr (exit 1). No
            configuration, no database`,
    run: async (args, io) => {
      if (args[0] !== 'render') throw new UsageError("stack: the subcommand is 'render'");
      return stackRender(args.slice(1), lineIo(io));
    },
  },
  help: {
    usage: 'help      show this text',
    run: async (_args, io) => {
      io.stdout.write(`${usage()}\n`);
      return 0;
    },
  },
};

const ALIASES: Record<string, string> = { '--help': 'help', '-h': 'help' };

/** The engines' commands write through functions rather than streams. */
const lineIo = (io: CommandIo) => ({
  stdout: (text: string) => void io.stdout.write(text),
  stderr: (text: string) => void io.stderr.write(text),
});

function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage}`);
  return `usage: gantry <command>\n\ncommands:\n${lines.join('\n')}\n\nconfiguration comes from GANTRY_* environment variables; see docs/operations.md`;
}

const processIo = (): CommandIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

/** Runs one command line; resolves with the exit code, or -1 when the command keeps running. */
export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const [given = 'serve', ...args] = argv;
  const name = ALIASES[given] ?? given;
  if (!Object.hasOwn(COMMANDS, name)) {
    io.stderr.write(`unknown command '${given}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await COMMANDS[name].run(args, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`gantry: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`gantry: ${error.message}\n\n${usage()}\n`);
      return 2;
    }
    if (error instanceof AppError || error instanceof SealingError) {
      io.stderr.write(`gantry: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`gantry: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
