import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrate.js';

const USAGE = `usage: gantry <command>

commands:
  serve     run the API server (migrates the database first)
  migrate   apply pending database migrations and exit
  help      show this text

configuration comes from GANTRY_* environment variables; see docs/operations.md`;

async function serve(): Promise<void> {
  const config = loadConfig();
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  const app = await buildApp({ config, database });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      app.log.warn('shutdown timeout reached; closing anyway');
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
    `\nGantry is running at ${url}\n  API reference: ${url}/docs\n  database: ${config.databaseEngine === 'sqlite' ? config.databaseUrl.replace(/^sqlite:/, '') : 'PostgreSQL'}\n\n`,
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
    process.stderr.write(`gantry: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
