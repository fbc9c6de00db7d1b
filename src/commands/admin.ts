import { readFileSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { createAdminApiKey, createUserAccount } from '../modules/users/admin.js';
import { rotateMasterKey } from '../platform/crypto/rotation.js';
import { type Db, openDatabase } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { type CommandIo, type Options, optional, parseOptions, required, UsageError } from './cli.js';

type AdminCommand = (options: string[], io: CommandIo, withDb: DbRunner) => Promise<void>;
type DbRunner = (work: (db: Db) => Promise<void>) => Promise<void>;

const createApiKey: AdminCommand = async (args, io, withDb) => {
  const options = parseOptions(args, ['org', 'name'], ['readonly']);
  await withDb(async (db) => {
    const key = await createAdminApiKey(db, {
      organization: required(options, 'org'),
      name: optional(options, 'name'),
      readonly: options.readonly === true,
    });
    io.stderr.write(
      `API key '${key.canonical}' of organization '${key.organization}' (${key.readonly ? 'read-only' : 'full admin'}); it is shown only this once:\n`,
    );
    io.stdout.write(`${key.token}\n`);
  });
};

const createUser: AdminCommand = async (args, io, withDb) => {
  const options: Options = parseOptions(args, [
    'email',
    'username',
    'password',
    'org',
    'role',
    'given-name',
    'family-name',
  ]);
  if (options.role && !options.org) throw new UsageError('--role needs --org');
  await withDb(async (db) => {
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
    io.stderr.write(`user '${options.username}' created (email verified${where})\n`);
    if (created.generatedPassword) {
      io.stderr.write('generated password (shown only this once):\n');
      io.stdout.write(`${created.generatedPassword}\n`);
    }
  });
};

const rotateKey: AdminCommand = async (args, io, withDb) => {
  const options = parseOptions(args, ['new-key-file']);
  const keyFile = optional(options, 'new-key-file');
  await withDb(async (db) => {
    const config = loadConfig(io.env);
    const newKey =
      keyFile === undefined ? undefined : { text: readFileSync(keyFile, 'utf8'), source: `--new-key-file ${keyFile}` };
    const result = await rotateMasterKey(db, config.dataDir, config.masterKey, newKey);
    io.stderr.write(`re-wrapped ${result.dataKeys} data key(s): master key ${result.previous} -> ${result.next}\n`);
    if (result.file) {
      io.stderr.write(`${result.file} now holds the new key: back it up; restart servers at your pace\n`);
    } else if (keyFile === undefined) {
      io.stderr.write(
        'set GANTRY_MASTER_KEY to this new key on every server and restart them at your pace (running ones keep working):\n',
      );
      io.stdout.write(`${result.newKeyToInstall}\n`);
    } else {
      io.stderr.write('set GANTRY_MASTER_KEY to the new key on every server and restart them at your pace\n');
    }
  });
};

const ADMIN_COMMANDS: Record<string, AdminCommand> = {
  'create-api-key': createApiKey,
  'create-user': createUser,
  'rotate-master-key': rotateKey,
};

/** `gantry admin <command>`: operator commands on the database (migrated first, like serve does). */
export async function admin(args: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = args;
  const command = name !== undefined && Object.hasOwn(ADMIN_COMMANDS, name) ? ADMIN_COMMANDS[name] : undefined;
  if (!command) throw new UsageError(name ? `unknown admin command '${name}'` : 'admin needs a command');
  // Secrets go to stdout alone; everything else to stderr.
  const withDb: DbRunner = async (work) => {
    const config = loadConfig(io.env);
    const database = openDatabase(config.databaseUrl);
    try {
      await migrateToLatest(database.db);
      await work(database.db);
    } finally {
      await database.close();
    }
  };
  await command(rest, io, withDb);
  return 0;
}
