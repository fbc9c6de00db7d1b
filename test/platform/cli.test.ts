import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CliSandbox, cleanEnv } from '../helpers/cli.js';

const cli = new CliSandbox('gantry-cli');
const bin = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'gantry.js');
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

  it('rejects unknown commands with usage', () => {
    const result = spawnSync(process.execPath, [bin, 'frobnicate'], { env: cleanEnv({}), encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: gantry/);
  });
});
