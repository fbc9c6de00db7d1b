import { AppError } from '../errors.js';

/**
 * Translates database constraint errors from either engine into AppErrors, once, so no raw driver
 * message reaches a client. Returns undefined for errors that are not a client's fault.
 */
export function translateDatabaseError(error: unknown): AppError | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { code?: unknown; message?: unknown; detail?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';

  // PostgreSQL SQLSTATE classes.
  if (code === '23505') return new AppError('Conflict', `already exists${describeKey(e.detail)}`);
  if (code === '23503') return new AppError('Conflict', 'still referenced by, or referencing, another resource');
  if (code === '23502' || code === '23514')
    return new AppError('Unprocessable', 'a required value is missing or invalid');
  if (code === '22001') return new AppError('Unprocessable', 'a value is too long');
  if (code === '22P02' || code === '22003') return new AppError('BadRequest', 'a value has the wrong format or range');

  // SQLite extended result codes as reported by better-sqlite3.
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = /UNIQUE constraint failed: (.+)$/.exec(message)?.[1];
    return new AppError('Conflict', `already exists${columns ? ` (${fieldNames(columns)})` : ''}`);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new AppError('Conflict', 'still referenced by, or referencing, another resource');
  }
  if (code === 'SQLITE_CONSTRAINT_NOTNULL' || code === 'SQLITE_CONSTRAINT_CHECK') {
    return new AppError('Unprocessable', 'a required value is missing or invalid');
  }
  if (code === 'SQLITE_TOOBIG') return new AppError('Unprocessable', 'a value is too long');
  return undefined;
}

/** `teams.organization_id, teams.canonical` -> `canonical`: the client only needs the field that clashed. */
function fieldNames(columns: string): string {
  const names = columns
    .split(',')
    .map((c) => c.trim().split('.').pop() ?? '')
    .filter((n) => n !== '' && !n.endsWith('_id'));
  return names.length > 0 ? names.join(', ') : 'duplicate value';
}

/** PostgreSQL's detail reads `Key (organization_id, canonical)=(1, dev) already exists.` */
function describeKey(detail: unknown): string {
  const m = typeof detail === 'string' ? /^Key \(([^)]+)\)=/.exec(detail) : null;
  return m ? ` (${fieldNames(m[1])})` : '';
}
