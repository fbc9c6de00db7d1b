import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/platform/db/database.js';
import { CliSandbox, cleanEnv } from '../helpers/cli.js';
import { eventually } from '../helpers/jobs.js';
import { freshDatabaseUrl, testEngines } from '../helpers/server.js';

const cli = new CliSandbox('gantry-cli');
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'gantry.js');
const tempDir = () => cli.tempDir();
const serve = (env: Record<string, string>) => cli.serve(env);

describe('gantry command line', () => {
  after(() => {
    cli.cleanup();
  });

  it('serve starts on an embedded SQLite database, answers, and drains on SIGTERM', async () => {
    const dataDir = tempDir();
    const { child, url, output } = await serve({ GANTRY_DATA_DIR: dataDir, GANTRY_PORT: '0' });
    const version = await fetch(`${url}/version`);
    assert.equal(version.status, 200);
    assert.equal(((await version.json()) as any).data.version.split('.').length, 3);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(output(), /shutting down: draining in-flight requests/);
  });

  it('migrate applies migrations and reports an up-to-date database the second time', () => {
    const env = cleanEnv({ GANTRY_DATA_DIR: tempDir() });
    const first = spawnSync(process.execPath, [bin, 'migrate'], { env, encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /applied \d+ migration/);
    const second = spawnSync(process.execPath, [bin, 'migrate'], { env, encoding: 'utf8' });
    assert.match(second.stdout, /up to date/);
  });

  it('stops with a clear message on invalid configuration', () => {
    const result = spawnSync(process.execPath, [bin, 'serve'], {
      env: cleanEnv({ GANTRY_PORT: 'eighty', GANTRY_DATA_DIR: tempDir(), GANTRY_TYPO: '1' }),
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /GANTRY_PORT must be a whole number/);
    assert.match(result.stderr, /GANTRY_TYPO is not a known setting/);
  });

  it('serve refuses to start without git, saying what to install', () => {
    const result = spawnSync(process.execPath, [bin, 'serve'], {
      // A PATH with no git on it (node itself is started by its full path).
      env: { ...cleanEnv({ GANTRY_DATA_DIR: tempDir(), GANTRY_PORT: '0' }), PATH: tempDir() },
      encoding: 'utf8',
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /git was not found.*apt-get install git/);
  });

  it('rejects unknown commands with usage', () => {
    const result = spawnSync(process.execPath, [bin, 'frobnicate'], { env: cleanEnv({}), encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: gantry/);
  });

  it('help lists every command of the table', () => {
    const result = spawnSync(process.execPath, [bin, 'help'], { env: cleanEnv({}), encoding: 'utf8' });
    assert.equal(result.status, 0);
    for (const command of ['serve', 'worker', 'migrate', 'admin create-api-key', 'help']) {
      assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    }
    assert.equal(spawnSync(process.execPath, [bin, '--help'], { env: cleanEnv({}) }).status, 0);
    const prototype = spawnSync(process.execPath, [bin, 'constructor'], { env: cleanEnv({}), encoding: 'utf8' });
    assert.equal(prototype.status, 2, "only the table's own entries are commands");
    const extra = spawnSync(process.execPath, [bin, 'migrate', 'now'], { env: cleanEnv({}), encoding: 'utf8' });
    assert.equal(extra.status, 2);
    assert.match(extra.stderr, /unexpected argument 'now'/);
  });

  it('worker refuses SQLite and says why', () => {
    const result = spawnSync(process.execPath, [bin, 'worker'], {
      env: cleanEnv({ GANTRY_DATA_DIR: tempDir() }),
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /`gantry worker` needs PostgreSQL/);
    assert.match(result.stderr, /`gantry serve` runs the jobs itself/);
  });

  it('worker runs on PostgreSQL, registers, and exits 0 on SIGTERM', {
    skip: !testEngines().includes('postgres'),
  }, async () => {
    const dir = tempDir();
    const fresh = await freshDatabaseUrl('postgres', dir);
    try {
      const child = spawn(process.execPath, [bin, 'worker'], {
        env: cleanEnv({
          GANTRY_DATABASE_URL: fresh.url,
          GANTRY_DATA_DIR: dir,
          GANTRY_MASTER_KEY: randomBytes(32).toString('hex'),
          GANTRY_WORKER_NAME: 'cli-worker',
          GANTRY_LOG_LEVEL: 'info',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c) => {
        output += c;
      });
      child.stderr.on('data', (c) => {
        output += c;
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await eventually(
        () => /Gantry worker cli-worker#\w+ is running \d+ job kind\(s\): .*jobs\.prune/.test(output),
        output,
        60_000,
      );
      const database = openDatabase(fresh.url);
      try {
        const row = await database.db.selectFrom('workers').selectAll().executeTakeFirstOrThrow();
        assert.equal(row.name, 'cli-worker');
        assert.equal(row.state, 'running');
        child.kill('SIGTERM');
        assert.equal(await exited, 0, output);
        assert.match(output, /worker shutting down/);
        const stopped = await database.db.selectFrom('workers').select('state').executeTakeFirstOrThrow();
        assert.equal(stopped.state, 'stopped');
      } finally {
        await database.close();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('npm install links node_modules/.bin/gantry, so npx gantry works in a checkout', () => {
    const checkout = tempDir();
    mkdirSync(join(checkout, 'scripts'));
    mkdirSync(join(checkout, 'bin'));
    mkdirSync(join(checkout, 'node_modules'));
    copyFileSync(join(root, 'scripts', 'ensure-ready.mjs'), join(checkout, 'scripts', 'ensure-ready.mjs'));
    copyFileSync(bin, join(checkout, 'bin', 'gantry.js'));
    // The postinstall step, as npm runs it.
    const linked = spawnSync(process.execPath, ['scripts/ensure-ready.mjs', '--link-only'], { cwd: checkout });
    assert.equal(linked.status, 0);
    const link = join(checkout, 'node_modules', '.bin', 'gantry');
    assert.equal(readlinkSync(link), '../../bin/gantry.js');
    assert.equal(realpathSync(link), realpathSync(join(checkout, 'bin', 'gantry.js')));
    // A node_modules shared with another checkout (a link) is left alone.
    const shared = tempDir();
    mkdirSync(join(shared, 'scripts'));
    copyFileSync(join(root, 'scripts', 'ensure-ready.mjs'), join(shared, 'scripts', 'ensure-ready.mjs'));
    const elsewhere = tempDir();
    symlinkSync(elsewhere, join(shared, 'node_modules'));
    writeFileSync(join(shared, 'package.json'), '{}');
    assert.equal(spawnSync(process.execPath, ['scripts/ensure-ready.mjs', '--link-only'], { cwd: shared }).status, 0);
    assert.equal(spawnSync('ls', [join(elsewhere, '.bin')]).status === 0, false);
  });
});
