import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the root handle or an open transaction: repositories take one of these, never an optional. */
export type DbHandle = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  engine: Engine;
  close(): Promise<void>;
}

/**
 * better-sqlite3 12 is the last line that builds on Node 20, but its statements can crash Node 24 when
 * garbage-collected; 13 fixes that, ships prebuilt binaries, and needs Node 22 or newer. Both are
 * installed (13 under an alias) and the one matching the running Node is loaded.
 */
function sqliteDriver(): typeof BetterSqlite3 {
  const require = createRequire(import.meta.url);
  const major = Number(process.versions.node.split('.')[0]);
  return require(major >= 22 ? 'better-sqlite3-prebuilt' : 'better-sqlite3') as typeof BetterSqlite3;
}

// BIGINT (int8) columns hold Unix timestamps and counts that fit in a double; parse them as numbers.
pg.types.setTypeParser(20, (value: string) => Number.parseInt(value, 10));

export function openDatabase(url: string): DatabaseHandle {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // A request waits for a connection this long at most, then fails clearly instead of hanging.
      connectionTimeoutMillis: 10_000,
      // No statement, and no transaction left open by a stuck client, holds locks for long.
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') ownerOnlyFile(file);
  const Driver = sqliteDriver();
  const sqlite = new Driver(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: new TransactionalDdlSqliteDialect({ database: withStatementCache(sqlite) }),
  });
  return { db, engine: 'sqlite', close: () => db.destroy() };
}

/**
 * The database holds password hashes and sealed secrets: it is created readable by its owner only (as
 * the key files are), and SQLite gives its -wal and -shm files the database file's mode.
 */
function ownerOnlyFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

/**
 * SQLite's DDL is transactional, but Kysely's adapter does not say so, and its migrator then runs
 * migrations outside any transaction: a process killed half-way would leave a half-migrated
 * database. Declaring it makes every migration run (and be recorded) in one transaction, as on
 * PostgreSQL.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; preparing is a large share of a short query's cost on SQLite.
 * The same SQL text (parameters are bound separately) reuses its prepared statement; the least recently
 * used statements are dropped beyond a bound. Kysely runs one query at a time per connection, so a
 * statement is never in use twice.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = sqlite.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

export function engineOf(db: Kysely<any>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
