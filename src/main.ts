import { readFileSync } from 'node:fs';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createAdminApiKey, createUserAccount } from './modules/users/admin.js';
import { ensureFirstAdmin, firstAdminMessage } from './modules/users/bootstrap.js';
import { rotateMasterKey } from './platform/crypto/rotation.js';
import { openInstallationVault, SealingError } from './platform/crypto/sealing.js';
import { type Db, openDatabase } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrate.js';
import { AppError } from './platform/errors.js';

const USAGE = `usage: gantry <command>

commands:
  serve     run the API server (migrates the database first; creates the first admin on an empty one)
  migrate   apply pending database migrations and exit
  admin create-api-key --org <canonical> [--name <name>] [--readonly]
            print a new full-admin API key of an organization (the key alone on stdout)
  admin create-user --email <email> --username <username> [--password <password>]
                    [--org <canonical> [--role <role canonical>]] [--given-name <name>] [--family-name <name>]
            create a verified account (prints the password when generated), optionally a member of --org
  admin rotate-master-key [--new-key-file <path>]
            re-wrap the data keys that seal secrets under a new master key (generated unless given);
            rewrites <data dir>/master.key, or prints the new key when GANTRY_MASTER_KEY is used
  help      show this text

configuration comes from GANTRY_* environment variables; see docs/operations.md`;

async function serve(): Promise<void> {
  const config = loadConfig();
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  // A master key that does not open the data keys must stop the start before anything is created.
  const vault = await openInstallationVault(database.db, config.dataDir, config.masterKey);
  const firstAdmin = await ensureFirstAdmin(database.db, config.admin);
  const app = await buildApp({ config, database, vault });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      app.logger.warn('shutdown timeout reached; closing anyway');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ host: config.host, port: config.port });
  const url = config.publicUrl ?? address;
  process.stdout.write(
    `\nGantry is running at ${url}\n  API reference: ${url}/docs\n  database: ${config.databaseEngine === 'sqlite' ? config.databaseUrl.replace(/^sqlite:/, '') : 'PostgreSQL'}\n\n${app.notices.map((n) => `WARNING: ${n}\n\n`).join('')}${firstAdmin ? `${firstAdminMessage(url, firstAdmin)}\n` : ''}`,
  );
}

async function migrate(): Promise<void> {
  const config = loadConfig();
  const database = openDatabase(config.databaseUrl);
  try {
    const report = await migrateToLatest(database.db);
    process.stdout.write(
      report.applied.length > 0
        ? `applied ${report.applied.length} migration(s): ${report.applied.join(', ')}\n`
        : `database is up to date (${report.total} migrations)\n`,
    );
  } finally {
    await database.close();
  }
}

class UsageError extends Error {}

/** `--name value` options and `--flag` switches; anything not declared is a usage error. */
function parseOptions(args: string[], values: string[], switches: string[] = []): Record<string, string | true> {
  const options: Record<string, string | true> = {};
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

function required(options: Record<string, string | true>, name: string): string {
  const value = options[name];
  if (typeof value !== 'string') throw new UsageError(`--${name} is required`);
  return value;
}

const optional = (options: Record<string, string | true>, name: string) =>
  typeof options[name] === 'string' ? (options[name] as string) : undefined;

/** Operator commands on the database (migrated first, like serve does). Secrets go to stdout alone. */
async function admin(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const run = async (work: (db: Db) => Promise<void>) => {
    const config = loadConfig();
    const database = openDatabase(config.databaseUrl);
    try {
      await migrateToLatest(database.db);
      await work(database.db);
    } finally {
      await database.close();
    }
  };
  switch (command) {
    case 'create-api-key': {
      const options = parseOptions(rest, ['org', 'name'], ['readonly']);
      await run(async (db) => {
        const key = await createAdminApiKey(db, {
          organization: required(options, 'org'),
          name: optional(options, 'name'),
          readonly: options.readonly === true,
        });
        process.stderr.write(
          `API key '${key.canonical}' of organization '${key.organization}' (${key.readonly ? 'read-only' : 'full admin'}); it is shown only this once:\n`,
        );
        process.stdout.write(`${key.token}\n`);
      });
      return 0;
    }
    case 'create-user': {
      const options = parseOptions(rest, ['email', 'username', 'password', 'org', 'role', 'given-name', 'family-name']);
      if (options.role && !options.org) throw new UsageError('--role needs --org');
      await run(async (db) => {
        const created = await createUserAccount(db, {
          email: required(options, 'email'),
          username: required(options, 'username'),
          password: optional(options, 'password'),
          organization: optional(options, 'org'),
          role: optional(options, 'role'),
          givenName: optional(options, 'given-name'),
          familyName: optional(options, 'family-name'),
        });
        const where = options.org
          ? `, member of '${options.org}' as ${optional(options, 'role') ?? 'organization-member'}`
          : '';
        process.stderr.write(`user '${options.username}' created (email verified${where})\n`);
        if (created.generatedPassword) {
          process.stderr.write('generated password (shown only this once):\n');
          process.stdout.write(`${created.generatedPassword}\n`);
        }
      });
      return 0;
    }
    case 'rotate-master-key': {
      const options = parseOptions(rest, ['new-key-file']);
      const keyFile = optional(options, 'new-key-file');
      await run(async (db) => {
        const config = loadConfig();
        const newKey =
          keyFile === undefined
            ? undefined
            : { text: readFileSync(keyFile, 'utf8'), source: `--new-key-file ${keyFile}` };
        const result = await rotateMasterKey(db, config.dataDir, config.masterKey, newKey);
        process.stderr.write(
          `re-wrapped ${result.dataKeys} data key(s): master key ${result.previous} -> ${result.next}\n`,
        );
        if (result.file) {
          process.stderr.write(`${result.file} now holds the new key: back it up; restart servers at your pace\n`);
        } else if (keyFile === undefined) {
          process.stderr.write(
            'set GANTRY_MASTER_KEY to this new key on every server and restart them at your pace (running ones keep working):\n',
          );
          process.stdout.write(`${result.newKeyToInstall}\n`);
        } else {
          process.stderr.write('set GANTRY_MASTER_KEY to the new key on every server and restart them at your pace\n');
        }
      });
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown admin command '${command}'` : 'admin needs a command');
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'serve'] = argv;
  try {
    switch (command) {
      case 'serve':
        await serve();
        return -1; // keep running
      case 'migrate':
        await migrate();
        return 0;
      case 'admin':
        return await admin(argv.slice(1));
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        process.stderr.write(`unknown command '${command}'\n\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gantry: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`gantry: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof AppError || error instanceof SealingError) {
      process.stderr.write(`gantry: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`gantry: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
