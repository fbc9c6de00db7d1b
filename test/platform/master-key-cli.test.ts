import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateMasterKey, parseMasterKey, Vault } from '../../src/platform/crypto/sealing.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { CliSandbox } from '../helpers/cli.js';

/**
 * The master key's life from the command line, on SQLite: created on first start (0600, with a loud
 * warning), rotated by `gantry admin rotate-master-key`, refused with both fingerprints when it is the
 * wrong one, and clear errors for bad keys. Server starts are few (each takes a couple of seconds): one
 * that creates the key and a credential, one after rotation, and failing starts that exit at once.
 */

const SECRET = `cli-secret-${randomBytes(8).toString('hex')}`;
const cli = new CliSandbox('gantry-master-key');
const tempDir = () => cli.tempDir();
const gantry = (args: string[], env: Record<string, string>) => cli.run(args, env);
const serve = (env: Record<string, string>) => cli.serve(env);

async function call(url: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as { data: any };
}

const fingerprintOf = (text: string) => parseMasterKey(text).fingerprint;
const credentialPath = '/organizations/main/credentials/rotated';

describe('master key on the command line', () => {
  const dir = tempDir();
  const keyFile = join(dir, 'master.key');
  const env = { GANTRY_DATA_DIR: dir, GANTRY_PORT: '0' };
  let firstKey = '';
  let email = '';
  let password = '';
  let firstOutput = '';

  const readSecret = async (url: string) => {
    const login = await call(url, 'POST', '/user/login', undefined, { email, password });
    return (await call(url, 'GET', credentialPath, login.data.token)).data.raw.secret_key as string;
  };

  before(async () => {
    // First start: creates the key file and the administrator, then a credential sealed under the key.
    const server = await serve(env);
    firstKey = readFileSync(keyFile, 'utf8').trim();
    email = /email:\s+(\S+)/.exec(server.output())![1]!;
    password = /password:\s+(\S+)/.exec(server.output())![1]!;
    const login = await call(server.url, 'POST', '/user/login', undefined, { email, password });
    await call(server.url, 'POST', '/organizations/main/credentials', login.data.token, {
      name: 'Rotated',
      type: 'aws',
      path: 'aws/rotated',
      raw: { access_key: 'AKIAEXAMPLE0000001', secret_key: SECRET },
    });
    assert.equal(await server.stop(), 0);
    firstOutput = server.output();
  });
  after(() => {
    cli.cleanup();
  });

  it('the first start wrote a 32-byte key readable by its owner only, and warned loudly without printing it', () => {
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(parseMasterKey(firstKey).key.length, 32);
    assert.match(firstOutput, /A new master key was created at \S*master\.key\. BACK IT UP NOW/);
    assert.ok(!firstOutput.includes(firstKey), 'the key itself is never printed');
  });

  it('rotation rewrites the key file (0600) and prints both fingerprints, never a key', () => {
    const rotated = gantry(['admin', 'rotate-master-key'], env);
    assert.equal(rotated.status, 0, rotated.all);
    const newKey = readFileSync(keyFile, 'utf8').trim();
    assert.notEqual(newKey, firstKey);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(rotated.stderr, new RegExp(`master key ${fingerprintOf(firstKey)} -> ${fingerprintOf(newKey)}`));
    assert.equal(rotated.stdout, '', 'with a key file, nothing secret goes to stdout');
    assert.ok(!rotated.all.includes(firstKey) && !rotated.all.includes(newKey));
  });

  it('after rotation a restart reads the credential back, without creating a key', async () => {
    const server = await serve(env);
    try {
      assert.equal(await readSecret(server.url), SECRET);
      assert.doesNotMatch(server.output(), /new master key was created/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('the old key back in the file: the start fails naming both fingerprints, quoting no secret', () => {
    const current = readFileSync(keyFile, 'utf8');
    writeFileSync(keyFile, `${firstKey}\n`);
    try {
      const start = gantry(['serve'], env);
      assert.notEqual(start.status, 0, start.all);
      assert.doesNotMatch(start.all, /Gantry is running/);
      assert.match(start.stderr, new RegExp(fingerprintOf(firstKey)));
      assert.match(start.stderr, new RegExp(fingerprintOf(current)));
      for (const secret of [firstKey, current.trim(), SECRET]) assert.ok(!start.all.includes(secret));
    } finally {
      writeFileSync(keyFile, current);
    }
  });

  it('--new-key-file with a key of the wrong length is refused and nothing changes', () => {
    const badFile = join(dir, 'bad.key');
    writeFileSync(badFile, `${randomBytes(16).toString('base64')}\n`);
    const before = readFileSync(keyFile, 'utf8');
    const bad = gantry(['admin', 'rotate-master-key', '--new-key-file', badFile], env);
    assert.equal(bad.status, 1, bad.all);
    assert.match(bad.stderr, /--new-key-file .*: the master key must be 32 bytes/);
    assert.equal(readFileSync(keyFile, 'utf8'), before);
  });

  it('--new-key-file installs the given key in the key file', () => {
    const goodFile = join(dir, 'good.key');
    const given = generateMasterKey();
    writeFileSync(goodFile, `${given}\n`);
    const good = gantry(['admin', 'rotate-master-key', '--new-key-file', goodFile], env);
    assert.equal(good.status, 0, good.all);
    assert.equal(readFileSync(keyFile, 'utf8').trim(), given);
    assert.match(good.stderr, new RegExp(`-> ${fingerprintOf(given)}`));
  });

  it('with GANTRY_MASTER_KEY, rotation prints the new key alone on stdout and leaves the file alone', async () => {
    const current = readFileSync(keyFile, 'utf8').trim();
    const rotated = gantry(['admin', 'rotate-master-key'], { ...env, GANTRY_MASTER_KEY: current });
    assert.equal(rotated.status, 0, rotated.all);
    const printed = rotated.stdout.trim();
    assert.equal(rotated.stdout, `${printed}\n`, 'one line');
    assert.match(rotated.stderr, new RegExp(`${fingerprintOf(current)} -> ${fingerprintOf(printed)}`));
    assert.equal(readFileSync(keyFile, 'utf8').trim(), current, 'the file is not the key in use');
    // The data keys now open with the printed key only.
    const database = openDatabase(`sqlite:${join(dir, 'gantry.db')}`);
    try {
      await Vault.open(database.db, parseMasterKey(printed));
      await assert.rejects(Vault.open(database.db, parseMasterKey(current)), /wrapped by master key/);
    } finally {
      await database.close();
    }
  });

  it('rotation with no key at all stops with a clear error', () => {
    const none = gantry(['admin', 'rotate-master-key'], { GANTRY_DATA_DIR: tempDir() });
    assert.equal(none.status, 1, none.all);
    assert.match(none.stderr, /no master key to rotate: GANTRY_MASTER_KEY is unset and \S*master\.key does not exist/);
  });

  describe('a wrong-length GANTRY_MASTER_KEY at start', () => {
    const fresh = tempDir();
    const shortKey = randomBytes(20).toString('hex');
    let start: ReturnType<typeof gantry>;
    before(() => {
      start = gantry(['serve'], { GANTRY_DATA_DIR: fresh, GANTRY_PORT: '0', GANTRY_MASTER_KEY: shortKey });
    });

    it('stops the start with a clear error, not echoing the key', () => {
      assert.notEqual(start.status, 0, start.all);
      assert.match(start.stderr, /GANTRY_MASTER_KEY: the master key must be 32 bytes/);
      assert.doesNotMatch(start.all, /Gantry is running/);
      assert.ok(!start.all.includes(shortKey), 'the refused key is not echoed');
    });

    // The vault is opened before the first administrator is created: a refused key creates nobody whose
    // generated password would never be shown.
    it('leaves no administrator whose generated password nobody saw', async () => {
      // The configuration is refused before the database is touched: no users table, or no users.
      const file = join(fresh, 'gantry.db');
      if (!existsSync(file)) return;
      const database = openDatabase(`sqlite:${file}`);
      try {
        const users = await database.db
          .selectFrom('users')
          .select('username')
          .execute()
          .catch(() => []);
        assert.deepEqual(users, []);
      } finally {
        await database.close();
      }
    });
  });
});
