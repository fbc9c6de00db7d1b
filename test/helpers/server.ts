import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type AppDeps, buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type DatabaseHandle, type Engine, openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';

/** Engines this run covers: SQLite always, PostgreSQL when the runner provided a server. */
export function testEngines(): Engine[] {
  const wanted = (process.env.GANTRY_TEST_ENGINES ?? 'sqlite').split(',');
  const engines: Engine[] = ['sqlite'];
  if (wanted.includes('postgres') && process.env.GANTRY_TEST_POSTGRES_URL) engines.push('postgres');
  return engines;
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body (sent as is) instead of JSON. */
  raw?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  engine: Engine;
  url: string;
  app: FastifyInstance;
  database: DatabaseHandle;
  config: Config;
  dataDir: string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  close(): Promise<void>;
}

/** A fresh database of the given engine: a temp SQLite file, or a new PostgreSQL database. */
export async function freshDatabaseUrl(
  engine: Engine,
  dataDir: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (engine === 'sqlite') return { url: `sqlite:${join(dataDir, 'gantry.db')}`, drop: async () => {} };
  const admin = process.env.GANTRY_TEST_POSTGRES_URL;
  if (!admin) throw new Error('GANTRY_TEST_POSTGRES_URL is not set');
  const name = `gantry_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Starts the real app on a random port against a fresh database. One per test file, not per test. */
export async function startServer(
  engine: Engine,
  options: {
    env?: Record<string, string>;
    logDestination?: Writable;
    shareDatabaseWith?: TestServer;
    /** Test-only operations: a contract with extensions added, and the modules implementing them. */
    app?: Pick<AppDeps, 'contract' | 'extraModules'>;
  } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-test-'));
  // A second replica on the same database: same URL and signing secret, and the first server drops it.
  const shared = options.shareDatabaseWith;
  const database$ = shared
    ? { url: shared.config.databaseUrl, drop: async () => {} }
    : await freshDatabaseUrl(engine, dataDir);
  const config = loadConfig({
    GANTRY_DATA_DIR: dataDir,
    GANTRY_DATABASE_URL: database$.url,
    GANTRY_LOG_LEVEL: process.env.GANTRY_TEST_LOG_LEVEL ?? (options.logDestination ? 'info' : 'silent'),
    GANTRY_LOG_PRETTY: 'false',
    // Test upstreams (log stores, cloud APIs) listen on loopback, which the default policy refuses;
    // tests of the default itself pass GANTRY_OUTBOUND_ALLOW: ''.
    GANTRY_OUTBOUND_ALLOW: 'loopback',
    // Config and catalog repositories in tests are local bare repositories, on both engines.
    GANTRY_GIT_ALLOW_LOCAL: 'true',
    ...(shared
      ? {
          GANTRY_JWT_SECRET: shared.config.jwtSecret ?? 'a-shared-test-secret-of-32-characters!!',
          // Replicas share the master key, as operators must configure them.
          GANTRY_MASTER_KEY: shared.config.masterKey ?? readFileSync(join(shared.dataDir, 'master.key'), 'utf8').trim(),
        }
      : {}),
    ...options.env,
  });
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  const app = await buildApp({ config, database, logDestination: options.logDestination, ...options.app });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    engine,
    url,
    app,
    database,
    config,
    dataDir,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      let body: string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      if (opts.token) headers.authorization ??= `Bearer ${opts.token}`;
      const response = await fetch(url + path, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
      return { status: response.status, headers: response.headers, body: parsed as any, text };
    },
    async close() {
      await app.close();
      await database.close();
      await database$.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Two replicas of one PostgreSQL database, started as operators must configure them (a shared signing
 * secret and master key): the second shares the first's database. `close` stops both.
 */
export async function startReplicas(): Promise<{ first: TestServer; second: TestServer; close(): Promise<void> }> {
  const first = await startServer('postgres', {
    env: { GANTRY_JWT_SECRET: 'a-shared-test-secret-of-32-characters!!' },
  });
  const second = await startServer('postgres', { shareDatabaseWith: first });
  return {
    first,
    second,
    async close() {
      await second.close();
      await first.close();
    },
  };
}
