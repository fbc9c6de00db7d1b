// Catalog repositories: indexing the public catalog cold and unchanged, and listing 2,000 stacks.
// Targets (issue #15): cold refresh < 2 s, unchanged refresh < 200 ms, listServiceCatalogs < 50 ms.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { issueSessionToken } from '../src/modules/users/sessions.js';
import { JwtSigner } from '../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../src/platform/crypto/keys.js';
import { catalogRepo, FIXTURE_STACKS } from '../test/helpers/catalog-repos.js';
import {
  type BenchStack,
  benchOrganization,
  benchUser,
  envNumber,
  median,
  out,
  round1,
  startBenchStack,
} from './common.js';

const LISTED = 2000;

async function main(): Promise<number> {
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 5, 1));
  const logLevel = process.env.BENCH_LOG_LEVEL || 'warn';
  const repos = mkdtempSync(join(tmpdir(), 'gantry-bench-catalog-repos-'));
  let stack: BenchStack | undefined;
  try {
    stack = await startBenchStack('catalog', logLevel);
    const { config, database, base } = stack;
    const admin = await benchUser(database, 'bench-admin');
    const { org } = await benchOrganization(database, admin.id);
    const token = issueSessionToken(new JwtSigner(loadSigningKey(config.dataDir, config.jwtSecret)), 3600, admin);
    const call = async (method: string, path: string, body?: unknown) => {
      const started = performance.now();
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      return { ms: performance.now() - started, json: text ? JSON.parse(text) : undefined, bytes: text.length };
    };
    const sources = `/organizations/${org.canonical}/service_catalog_sources`;

    // Cold: each round registers the whole catalog from a repository the server has never fetched.
    const cold: number[] = [];
    let stacks = 0;
    for (let i = 0; i < rounds; i++) {
      const url = catalogRepo(repos, `cold-${i}`, { main: { copy: join(FIXTURE_STACKS, '2023') } });
      const r = await call('POST', sources, { name: `Cold ${i}`, url, branch: 'main' });
      stacks = r.json.data.stack_count;
      cold.push(r.ms);
      // Canonicals are unique per organization: make room for the next round.
      await call('DELETE', `${sources}/cold-${i}`);
    }

    const url = catalogRepo(repos, 'public-stacks', { main: { copy: join(FIXTURE_STACKS, '2023') } });
    await call('POST', sources, { name: 'Public stacks', url, branch: 'main' });
    const unchanged: number[] = [];
    for (let i = 0; i < rounds * 4; i++) {
      const r = await call('POST', `${sources}/public-stacks/refresh`);
      if (r.json.data.created.length + r.json.data.updated.length + r.json.data.deleted.length > 0) {
        throw new Error('an unchanged refresh reported changes');
      }
      unchanged.push(r.ms);
    }

    // 2,000 stacks: copies of the indexed ones under new canonicals, written straight to the table.
    const rows = await database.db.selectFrom('catalog_stacks').selectAll().execute();
    const copies = [];
    for (let i = rows.length; i < LISTED; i++) {
      const { id: _id, ...row } = rows[i % rows.length]!;
      copies.push({ ...row, canonical: `${row.canonical}-copy-${i}` });
    }
    for (let i = 0; i < copies.length; i += 100) {
      await database.db
        .insertInto('catalog_stacks')
        .values(copies.slice(i, i + 100))
        .execute();
    }
    const list: number[] = [];
    let bytes = 0;
    let total = 0;
    for (let i = 0; i < rounds * 4; i++) {
      const r = await call('GET', `/organizations/${org.canonical}/service_catalogs?page_size=1000`);
      list.push(r.ms);
      bytes = r.bytes;
      total = r.json.pagination.total;
    }

    const result = {
      stacks,
      cold_ms: round1(median(cold)),
      unchanged_ms: round1(median(unchanged)),
      listed_total: total,
      list_page_ms: round1(median(list)),
      list_page_kb: round1(bytes / 1024),
    };
    out(`catalog of ${stacks} stacks (shared/fixtures/stacks/2023), ${rounds} rounds, medians:`);
    out(`  register + index, cold (fetch, read, write) ${result.cold_ms} ms   (target < 2000)`);
    out(`  refresh, unchanged                          ${result.unchanged_ms} ms   (target < 200)`);
    out(
      `  listServiceCatalogs, 1000 of ${total} stacks      ${result.list_page_ms} ms, ${result.list_page_kb} KB   (target < 50)`,
    );
    out(`BENCH_RESULT ${JSON.stringify(result)}`);
    return 0;
  } catch (error) {
    out(`bench failed: ${(error as Error).stack ?? error}`);
    return 1;
  } finally {
    await stack?.close();
    rmSync(repos, { recursive: true, force: true });
  }
}

process.exitCode = await main();
