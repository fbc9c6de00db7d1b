import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'gantry.js');
const dirs: string[] = [];
const children: ChildProcess[] = [];

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GANTRY_')) env[k] = v;
  return { ...env, GANTRY_LOG_PRETTY: 'false', ...extra };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-cli-'));
  dirs.push(dir);
  return dir;
}

/** Starts `gantry serve` and resolves with the URL it prints. */
function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gantry is running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

describe('gantry command line', () => {
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
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
