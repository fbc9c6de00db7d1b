import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nowSeconds } from '../db/columns.js';
import type { DbHandle } from '../db/database.js';

/**
 * Secrets at rest: AES-256-GCM under a data key, each value with a fresh 96-bit nonce and bound to its
 * record by associated data (so a ciphertext copied into another row does not open). Data keys are
 * stored in the database wrapped by the master key, which never touches the database.
 */
const FORMAT = 'g1';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const WRAP_CONTEXT = Buffer.from('gantry:data-key');

export class SealingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealingError';
  }
}

export interface MasterKey {
  key: Buffer;
  /** Identifies the key without revealing it (first 16 hex digits of its SHA-256). */
  fingerprint: string;
}

/** 32 bytes, written as 64 hex digits or base64 (standard or URL-safe). `source` names it in errors. */
export function parseMasterKey(text: string, source?: string): MasterKey {
  const value = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(value)) key = Buffer.from(value, 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new SealingError(
      `${source ? `${source}: ` : ''}the master key must be 32 bytes, written as 64 hex digits or as base64`,
    );
  }
  return masterKeyOf(key);
}

export function masterKeyOf(key: Buffer): MasterKey {
  return { key, fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 16) };
}

export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * GANTRY_MASTER_KEY when set; otherwise `<data dir>/master.key`, created on first start. `created`
 * tells the caller to warn loudly: losing that file loses every sealed secret.
 */
export function loadMasterKey(
  dataDir: string,
  fromEnv: string | undefined,
): MasterKey & { created: boolean; file?: string } {
  if (fromEnv) return { ...parseMasterKey(fromEnv, 'GANTRY_MASTER_KEY'), created: false };
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) return { ...parseMasterKey(readFileSync(file, 'utf8'), file), created: false, file };
  mkdirSync(dataDir, { recursive: true });
  const text = generateMasterKey();
  writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  return { ...parseMasterKey(text), created: true, file };
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

function decrypt(key: Buffer, sealed: string, aad: Buffer): Buffer {
  const [nonceText, bodyText, extra] = sealed.split('.');
  const nonce = Buffer.from(nonceText ?? '', 'base64url');
  const body = Buffer.from(bodyText ?? '', 'base64url');
  if (extra !== undefined || nonce.length !== NONCE_BYTES || body.length < 16) {
    throw new SealingError('sealed value is malformed');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    // GCM authentication failed: wrong key, wrong record, or altered bytes. Never return garbage.
    throw new SealingError('cannot unseal: wrong key, wrong record, or altered data');
  }
}

/** Seals and opens secrets with the installation's data keys (the newest seals; all open). */
export class Vault {
  private constructor(
    private keys: Map<number, Buffer>,
    private readonly activeId: number,
    private readonly db: DbHandle,
    private readonly master: MasterKey,
  ) {}

  /**
   * Unwraps the data keys with the master key, creating the first one on an empty installation. A
   * data key wrapped by another master key stops the start with a message naming both fingerprints.
   */
  static async open(db: DbHandle, master: MasterKey): Promise<Vault> {
    let rows = await db.selectFrom('data_keys').selectAll().orderBy('id').execute();
    if (rows.length === 0) {
      await db
        .insertInto('data_keys')
        .values({
          wrapped: encrypt(master.key, randomBytes(KEY_BYTES), WRAP_CONTEXT),
          master_fingerprint: master.fingerprint,
          created_at: nowSeconds(),
          rewrapped_at: null,
        })
        .execute();
      rows = await db.selectFrom('data_keys').selectAll().orderBy('id').execute();
    }
    return new Vault(unwrapAll(rows, master), rows[rows.length - 1].id, db, master);
  }

  /**
   * Opens a value, first learning data keys another replica created since this one started (two
   * replicas starting on an empty installation at once may each create one).
   */
  async reveal(sealed: string, context: string): Promise<string> {
    const id = Number(sealed.split('.')[1]);
    if (!this.keys.has(id)) {
      const rows = await this.db.selectFrom('data_keys').selectAll().orderBy('id').execute();
      this.keys = unwrapAll(rows, this.master);
    }
    return this.unseal(sealed, context);
  }

  /** `context` names the record the value belongs to (e.g. `credential:<org id>:<credential id>`). */
  seal(plaintext: string, context: string): string {
    const key = this.keys.get(this.activeId) as Buffer;
    return `${FORMAT}.${this.activeId}.${encrypt(key, Buffer.from(plaintext, 'utf8'), aadFor(this.activeId, context))}`;
  }

  unseal(sealed: string, context: string): string {
    const [format, idText, ...rest] = sealed.split('.');
    const id = Number(idText);
    const key = this.keys.get(id);
    if (format !== FORMAT || !key) throw new SealingError('sealed value uses an unknown format or data key');
    return decrypt(key, rest.join('.'), aadFor(id, context)).toString('utf8');
  }
}

function unwrapAll(rows: { id: number; wrapped: string; master_fingerprint: string }[], master: MasterKey) {
  const keys = new Map<number, Buffer>();
  for (const row of rows) {
    if (row.master_fingerprint !== master.fingerprint) {
      throw new SealingError(
        `data key ${row.id} is wrapped by master key ${row.master_fingerprint}, but the configured master key is ${master.fingerprint}`,
      );
    }
    keys.set(row.id, decrypt(master.key, row.wrapped, WRAP_CONTEXT));
  }
  return keys;
}

function aadFor(keyId: number, context: string): Buffer {
  return Buffer.from(`gantry:${keyId}:${context}`);
}

/**
 * Re-wraps every data key from the current master key to a new one, in one transaction. Values sealed
 * under the data keys are untouched, so running servers keep working; restart them with the new key.
 */
export async function rewrapDataKeys(db: DbHandle, current: MasterKey, next: MasterKey): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('data_keys').selectAll().execute();
    for (const row of rows) {
      if (row.master_fingerprint === next.fingerprint) continue;
      if (row.master_fingerprint !== current.fingerprint) {
        throw new SealingError(`data key ${row.id} is not wrapped by the current master key ${current.fingerprint}`);
      }
      const dataKey = decrypt(current.key, row.wrapped, WRAP_CONTEXT);
      await trx
        .updateTable('data_keys')
        .set({
          wrapped: encrypt(next.key, dataKey, WRAP_CONTEXT),
          master_fingerprint: next.fingerprint,
          rewrapped_at: nowSeconds(),
        })
        .where('id', '=', row.id)
        .execute();
    }
    return rows.length;
  });
}

/**
 * The installation's vault from its configuration. `notice` is set when a master key file was just
 * created: the operator must be told loudly, since losing that file loses every sealed secret.
 */
export async function openInstallationVault(
  db: DbHandle,
  dataDir: string,
  masterKeyText: string | undefined,
): Promise<{ vault: Vault; notice?: string; fingerprint: string }> {
  const master = loadMasterKey(dataDir, masterKeyText);
  const vault = await Vault.open(db, master);
  if (!master.created) return { vault, fingerprint: master.fingerprint };
  return {
    vault,
    fingerprint: master.fingerprint,
    notice:
      `A new master key was created at ${master.file}. BACK IT UP NOW and keep it apart from database backups: ` +
      'without it every stored credential is lost. Or set GANTRY_MASTER_KEY (see docs/credentials.md).',
  };
}
