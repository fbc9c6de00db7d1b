import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateMasterKey,
  loadMasterKey,
  parseMasterKey,
  rewrapDataKeys,
  SealingError,
  Vault,
} from '../../src/platform/crypto/sealing.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { freshDatabaseUrl, testEngines } from '../helpers/server.js';

describe('master keys', () => {
  it('accepts 32 bytes as hex or base64 and refuses any other length', () => {
    const base64 = generateMasterKey();
    const hex = Buffer.from(base64, 'base64').toString('hex');
    assert.equal(parseMasterKey(base64).fingerprint, parseMasterKey(hex).fingerprint);
    for (const bad of [
      '',
      'short',
      Buffer.alloc(16).toString('base64'),
      'z'.repeat(64),
      Buffer.alloc(33).toString('hex'),
    ]) {
      assert.throws(() => parseMasterKey(bad), /32 bytes/, bad);
    }
  });

  it('creates a key file readable by its owner only, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-master-'));
    try {
      const first = loadMasterKey(dir, undefined);
      assert.equal(first.created, true);
      assert.equal(statSync(join(dir, 'master.key')).mode & 0o077, 0);
      const again = loadMasterKey(dir, undefined);
      assert.equal(again.created, false);
      assert.equal(again.fingerprint, first.fingerprint);
      assert.notEqual(loadMasterKey(dir, generateMasterKey()).fingerprint, first.fingerprint, 'the variable wins');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const engine of testEngines()) {
  describe(`sealing secrets (${engine})`, () => {
    let database: DatabaseHandle;
    let drop: () => Promise<void>;
    let dir: string;
    const master = parseMasterKey(generateMasterKey());
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gantry-seal-'));
      const fresh = await freshDatabaseUrl(engine, dir);
      drop = fresh.drop;
      database = openDatabase(fresh.url);
      await migrateToLatest(database.db);
    });
    after(async () => {
      await database.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('round-trips with a fresh nonce each time and never stores the data key in clear', async () => {
      const vault = await Vault.open(database.db, master);
      const a = vault.seal('s3cr3t-VALUE', 'credential:1:7');
      const b = vault.seal('s3cr3t-VALUE', 'credential:1:7');
      assert.notEqual(a, b);
      assert.equal(vault.unseal(a, 'credential:1:7'), 's3cr3t-VALUE');
      assert.ok(!a.includes('s3cr3t'));
      const reopened = await Vault.open(database.db, master);
      assert.equal(reopened.unseal(b, 'credential:1:7'), 's3cr3t-VALUE');
      const rows = await database.db.selectFrom('data_keys').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].master_fingerprint, master.fingerprint);
    });

    it('a ciphertext moved to another record, or altered, does not open', async () => {
      const vault = await Vault.open(database.db, master);
      const sealed = vault.seal('value of credential 7', 'credential:1:7');
      assert.throws(() => vault.unseal(sealed, 'credential:1:8'), SealingError);
      assert.throws(() => vault.unseal(sealed, 'credential:2:7'), SealingError);
      const target = sealed.at(-2);
      const flipped = sealed.slice(0, -2) + (target === 'A' ? 'B' : 'A') + sealed.slice(-1);
      assert.notEqual(flipped, sealed);
      assert.throws(() => vault.unseal(flipped, 'credential:1:7'), SealingError);
      assert.throws(() => vault.unseal('g1.999.x.y', 'credential:1:7'), SealingError);
    });

    it('a wrong master key is an error naming both keys, never garbage', async () => {
      const other = parseMasterKey(generateMasterKey());
      await assert.rejects(Vault.open(database.db, other), (error: Error) => {
        assert.ok(error instanceof SealingError);
        assert.match(error.message, new RegExp(`${master.fingerprint}.*${other.fingerprint}`));
        return true;
      });
    });

    it('re-wrapping under a new master key keeps every sealed value readable', async () => {
      const before = await Vault.open(database.db, master);
      const sealed = before.seal('survives rotation', 'credential:1:9');
      const next = parseMasterKey(generateMasterKey());
      assert.equal(await rewrapDataKeys(database.db, master, next), 1);
      const after = await Vault.open(database.db, next);
      assert.equal(after.unseal(sealed, 'credential:1:9'), 'survives rotation');
      assert.equal(before.unseal(sealed, 'credential:1:9'), 'survives rotation', 'running servers keep working');
      await assert.rejects(Vault.open(database.db, master), SealingError);
      await assert.rejects(rewrapDataKeys(database.db, master, parseMasterKey(generateMasterKey())), SealingError);
      if (engine === 'sqlite') {
        const file = readFileSync(join(dir, 'gantry.db'));
        assert.ok(!file.includes('survives rotation'));
      }
    });
  });
}
