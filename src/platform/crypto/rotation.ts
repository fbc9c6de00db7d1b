import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DbHandle } from '../db/database.js';
import { AppError } from '../errors.js';
import { generateMasterKey, type MasterKey, parseMasterKey, rewrapDataKeys } from './sealing.js';

export interface RotationResult {
  previous: string;
  next: string;
  dataKeys: number;
  /** The new key's text when the operator must install it (it came from the environment, or was generated for it). */
  newKeyToInstall?: string;
  /** The key file rewritten in place, when the installation uses one. */
  file?: string;
}

/**
 * Re-wraps every data key under a new master key. Sealed values are untouched, so running servers keep
 * serving (they hold the unwrapped data keys); each picks up the new key at its next restart. With a key
 * file the file is replaced after the database commits; with GANTRY_MASTER_KEY the new key is returned
 * for the operator to install.
 */
export async function rotateMasterKey(
  db: DbHandle,
  dataDir: string,
  fromEnv: string | undefined,
  newKey: { text: string; source: string } | undefined,
): Promise<RotationResult> {
  const file = join(dataDir, 'master.key');
  if (!fromEnv && !existsSync(file)) {
    throw new AppError(
      'Unprocessable',
      `no master key to rotate: GANTRY_MASTER_KEY is unset and ${file} does not exist`,
    );
  }
  const current: MasterKey = fromEnv
    ? parseMasterKey(fromEnv, 'GANTRY_MASTER_KEY')
    : parseMasterKey(readFileSync(file, 'utf8'), file);
  const text = newKey?.text.trim() ?? generateMasterKey();
  const next = parseMasterKey(text, newKey?.source);
  if (next.fingerprint === current.fingerprint) {
    throw new AppError('Unprocessable', 'the new master key is the current one');
  }
  const dataKeys = await rewrapDataKeys(db, current, next);
  const result: RotationResult = { previous: current.fingerprint, next: next.fingerprint, dataKeys };
  if (fromEnv) return { ...result, newKeyToInstall: text };
  // Write beside, then rename: a crash leaves either the old file or the new one, never half a key.
  const staged = `${file}.new`;
  writeFileSync(staged, `${text}\n`, { mode: 0o600 });
  renameSync(staged, file);
  return { ...result, file };
}
