import { loadConfig } from '../config.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { type CommandIo, parseOptions } from './cli.js';

/** `gantry migrate`: applies pending migrations and exits. */
export async function migrate(args: string[], io: CommandIo): Promise<number> {
  parseOptions(args, []);
  const config = loadConfig(io.env);
  const database = openDatabase(config.databaseUrl);
  try {
    const report = await migrateToLatest(database.db);
    io.stdout.write(
      report.applied.length > 0
        ? `applied ${report.applied.length} migration(s): ${report.applied.join(', ')}\n`
        : `database is up to date (${report.total} migrations)\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
