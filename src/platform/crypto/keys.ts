import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The session signing key: GANTRY_JWT_SECRET when set (required when several replicas serve the same
 * database), otherwise `<data dir>/jwt.key`, created with 32 random bytes on first start.
 */
export function loadSigningKey(dataDir: string, secret: string | undefined): Buffer {
  if (secret) return Buffer.from(secret, 'utf8');
  const file = join(dataDir, 'jwt.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length < 32) throw new Error(`${file} holds fewer than 32 bytes; delete it to generate a new key`);
    return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
