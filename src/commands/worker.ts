import type { AppDeps } from '../app.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { startWorker } from '../worker.js';
import { type CommandIo, KEEP_RUNNING, parseOptions, stopOnSignals } from './cli.js';

/**
 * `gantry worker`: runs job handlers only, no HTTP, beside `gantry serve` replicas on one PostgreSQL
 * database. SIGTERM drains: no new claims, jobs in hand finish or are handed back.
 */
export function worker(args: string[], io: CommandIo): Promise<number> {
  return runWorker(args, io);
}

/** The worker command, with modules beside the built-in ones (tests run probe jobs this way). */
export async function runWorker(
  args: string[],
  io: CommandIo,
  extraModules?: AppDeps['extraModules'],
): Promise<number> {
  parseOptions(args, []);
  const config = loadConfig(io.env);
  if (config.databaseEngine === 'sqlite') {
    io.stderr.write(
      'gantry: `gantry worker` needs PostgreSQL (GANTRY_DATABASE_URL=postgres://...). On SQLite the database ' +
        'belongs to one process: `gantry serve` runs the jobs itself.\n',
    );
    return 2;
  }
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  const running = await startWorker({ config, database, extraModules });
  const { log } = running.platform;
  stopOnSignals(
    config.shutdownTimeoutMs,
    async (signal) => {
      log.info({ signal }, 'worker shutting down: no new jobs, draining the ones in hand');
      await running.stop();
      await database.close();
    },
    () => log.warn('shutdown timeout reached; closing anyway'),
  );
  const kinds = running.runner.handledKinds;
  io.stdout.write(
    `Gantry worker ${running.runner.id} is running ${kinds.length} job kind(s): ${kinds.join(', ') || 'none'}\n` +
      `${running.platform.notices.map((n) => `WARNING: ${n}\n`).join('')}`,
  );
  return KEEP_RUNNING;
}
