import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import { createOrganization } from '../src/modules/organizations/service.js';
import { insertUser } from '../src/modules/users/repo.js';
import { type DatabaseHandle, openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';

/** A numeric BENCH_* setting, at least `min`; a bad value stops the run with a message naming it. */
export function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return value;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
export const out = (line = '') => process.stdout.write(`${line}\n`);

/** The baseline's body: the same size as `/version`'s, so both targets send as many bytes. */
export const BARE_BODY = JSON.stringify({ data: { branch: 'main', revision: '0123456789abcdef', version: '0.1.0' } });

/** The fastest possible Node server: every benchmark's baseline. */
export function listenBare(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': BARE_BODY.length });
    res.end(BARE_BODY);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A verified user through the users repository (password unused: benchmarks sign tokens directly). */
export function benchUser(database: DatabaseHandle, username: string) {
  return insertUser(database.db, {
    username,
    email: `${username}@example.com`,
    password_hash: 'unused',
    given_name: 'Bench',
    family_name: 'User',
    locale: 'en',
    country_code: null,
    picture_url: null,
    mfa_enabled: 0,
    email_verified: 1,
  });
}

/** The `bench` organization administered by `adminUserId`, and the id of its organization-member role. */
export async function benchOrganization(database: DatabaseHandle, adminUserId: number) {
  const db = database.db;
  const org = await db
    .transaction()
    .execute((trx) => createOrganization(trx, { canonical: 'bench', name: 'Bench', parentId: null, adminUserId }));
  const memberRole = await db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', org.id)
    .where('canonical', '=', 'organization-member')
    .executeTakeFirstOrThrow();
  return { org, memberRoleId: memberRole.id };
}

/** Gantry on a fresh, migrated SQLite database in a temporary directory, beside the bare baseline. */
export interface BenchStack {
  tmp: string;
  config: Config;
  database: DatabaseHandle;
  app: FastifyInstance;
  /** Gantry's base URL. */
  base: string;
  bareUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the stack every in-process benchmark measures. Log lines go to a file in the temporary
 * directory: they cost what they cost without mixing with the results.
 */
export async function startBenchStack(
  name: string,
  logLevel: string,
  extra: Pick<AppDeps, 'contract' | 'extraModules'> = {},
): Promise<BenchStack> {
  const tmp = mkdtempSync(join(tmpdir(), `gantry-bench-${name}-`));
  let bare: Server | undefined;
  let app: FastifyInstance | undefined;
  let database: DatabaseHandle | undefined;
  let logFd: number | undefined;
  const close = async () => {
    if (bare) {
      bare.closeAllConnections();
      bare.close();
    }
    if (app) await app.close().catch(() => {});
    else if (logFd !== undefined) closeSync(logFd);
    if (database) await database.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const config = loadConfig({ GANTRY_DATA_DIR: tmp, GANTRY_LOG_LEVEL: logLevel, GANTRY_LOG_PRETTY: 'false' });
    database = openDatabase(config.databaseUrl);
    await migrateToLatest(database.db);
    logFd = openSync(join(tmp, 'gantry.log'), 'w');
    const stdout = process.stdout as unknown as { fd: number };
    const stdoutFd = stdout.fd;
    stdout.fd = logFd;
    try {
      app = await buildApp({ config, database, ...extra });
    } finally {
      stdout.fd = stdoutFd;
    }
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    bare = await listenBare();
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    return { tmp, config, database, app, base, bareUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}

// autocannon ships no type declarations; only the parts the benchmarks read are typed.
export interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: AutocannonResult) => void) => unknown;
export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
