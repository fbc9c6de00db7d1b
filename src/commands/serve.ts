import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { ensureFirstAdmin, firstAdminMessage } from '../modules/users/bootstrap.js';
import { openInstallationVault } from '../platform/crypto/sealing.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { checkGitAvailable } from '../platform/git/check.js';
import { type CommandIo, KEEP_RUNNING, parseOptions, stopOnSignals } from './cli.js';

/** `gantry serve`: migrates, creates the first admin on an empty database, serves HTTP and runs jobs. */
export async function serve(args: string[], io: CommandIo): Promise<number> {
  parseOptions(args, []);
  const config = loadConfig(io.env);
  try {
    await checkGitAvailable();
  } catch (error) {
    // Catalogs and config repositories are git repositories: without git the server cannot serve them.
    io.stderr.write(`gantry: ${(error as Error).message}\n`);
    return 2;
  }
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  // A master key that does not open the data keys must stop the start before anything is created.
  const vault = await openInstallationVault(database.db, config.dataDir, config.masterKey);
  const firstAdmin = await ensureFirstAdmin(database.db, config.admin);
  const app = await buildApp({ config, database, vault });

  stopOnSignals(
    config.shutdownTimeoutMs,
    async (signal) => {
      app.logger.info({ signal }, 'shutting down: draining in-flight requests');
      await app.close();
      await database.close();
    },
    () => app.logger.warn('shutdown timeout reached; closing anyway'),
  );

  const address = await app.listen({ host: config.host, port: config.port });
  const url = config.publicUrl ?? address;
  io.stdout.write(
    `\nGantry is running at ${url}\n  API reference: ${url}/docs\n  database: ${config.databaseEngine === 'sqlite' ? config.databaseUrl.replace(/^sqlite:/, '') : 'PostgreSQL'}\n\n${app.notices.map((n) => `WARNING: ${n}\n\n`).join('')}${firstAdmin ? `${firstAdminMessage(url, firstAdmin)}\n` : ''}`,
  );
  return KEEP_RUNNING;
}
