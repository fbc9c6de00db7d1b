import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { insertAcceptedMember } from '../src/modules/members/repo.js';
import { issueSessionToken } from '../src/modules/users/sessions.js';
import { JwtSigner } from '../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../src/platform/crypto/keys.js';
import { loadMasterKey, Vault } from '../src/platform/crypto/sealing.js';
import type { DatabaseHandle } from '../src/platform/db/database.js';
import { type BenchStack, benchOrganization, benchUser, envNumber, out, round1, startBenchStack } from './common.js';

/** One keep-alive connection: requests go one at a time, as a sequential client would send them. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function send(url: string, method = 'GET', token?: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
async function expectOk(url: string, method = 'GET', token?: string, body?: unknown): Promise<string> {
  const res = await send(url, method, token, body);
  if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${res.text.slice(0, 300)}`);
  return res.text;
}

/** Mean microseconds per call of `fn(i)` over `count` sequential calls, after `warm` uncounted ones. */
async function meanUs(count: number, fn: (i: number) => Promise<unknown> | unknown, warm = 0): Promise<number> {
  for (let i = 0; i < warm; i++) await fn(i);
  const start = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  return (1000 * (performance.now() - start)) / count;
}

/** An organization administered by `bench-admin`, with `bench-member` as organization-member. */
async function seed(database: DatabaseHandle) {
  const db = database.db;
  const user = (username: string) => benchUser(database, username);
  const admin = await user('bench-admin');
  const member = await user('bench-member');
  const { org, memberRoleId } = await benchOrganization(database, admin.id);
  await insertAcceptedMember(db, { organizationId: org.id, userId: member.id, roleId: memberRoleId });
  return { admin, member, org };
}

const awsRaw = (i: number) => ({
  access_key: `AKIABENCH${String(i).padStart(11, '0')}`,
  secret_key: `bench-secret-${i}-${'x'.repeat(28)}`,
});
const credentialBody = (i: number) => ({ name: `Bench ${i}`, type: 'aws', path: `aws/bench-${i}`, raw: awsRaw(i) });

async function main(): Promise<number> {
  const count = Math.round(envNumber('BENCH_COUNT', 1000, 10));
  const listRounds = Math.round(envNumber('BENCH_LIST_ROUNDS', 20, 1));
  const logLevel = (process.env.BENCH_LOG_LEVEL || 'warn') as 'warn';
  let stack: BenchStack | undefined;
  try {
    stack = await startBenchStack('credentials', logLevel);
    const { tmp, config, database, base, bareUrl } = stack;
    const { admin, member, org } = await seed(database);
    const signer = new JwtSigner(loadSigningKey(config.dataDir, config.jwtSecret));
    const adminToken = issueSessionToken(signer, 3600, admin);
    const memberToken = issueSessionToken(signer, 3600, member);
    const collection = `${base}/organizations/${org.canonical}/credentials`;
    const vault = await Vault.open(database.db, loadMasterKey(config.dataDir, config.masterKey));

    // Warm-up on credentials deleted afterwards, so the list holds exactly `count`.
    const warmup = Math.min(50, count);
    for (let i = 0; i < warmup; i++) {
      await expectOk(collection, 'POST', adminToken, { ...credentialBody(i), name: `Warm ${i}`, path: `warm/${i}` });
      await expectOk(`${collection}/warm-${i}`, 'GET', adminToken);
      await expectOk(bareUrl);
    }
    for (let i = 0; i < warmup; i++) {
      const res = await send(`${collection}/warm-${i}`, 'DELETE', adminToken);
      if (res.status !== 204) throw new Error(`DELETE warm-${i}: ${res.status} ${res.text}`);
    }

    const bareUs = await meanUs(count, () => expectOk(bareUrl));
    const createUs = await meanUs(count, (i) => expectOk(collection, 'POST', adminToken, credentialBody(i)));
    const payload = JSON.stringify(awsRaw(0));
    const sealUs = await meanUs(count, (i) => vault.seal(payload, `credential:${org.id}:${i}`), count);
    const readUs = await meanUs(count, (i) => expectOk(`${collection}/bench-${i}`, 'GET', adminToken));
    const stored = await database.db
      .selectFrom('credentials')
      .select(['id', 'sealed_raw'])
      .where('canonical', '=', 'bench-0')
      .executeTakeFirstOrThrow();
    const context = `credential:${org.id}:${stored.id}`;
    const unsealUs = await meanUs(count, () => vault.unseal(stored.sealed_raw, context), count);

    const listUrl = `${collection}?page_size=${count}`;
    const listed = async (token: string, withRaw: boolean) => {
      const body = JSON.parse(await expectOk(listUrl, 'GET', token)) as { data: Array<{ raw?: unknown }> };
      const ok = body.data.length === count && body.data.every((c) => (c.raw !== undefined) === withRaw);
      if (!ok) throw new Error(`list as ${withRaw ? 'admin' : 'member'}: unexpected items`);
    };
    await listed(adminToken, true);
    await listed(memberToken, false);
    const listRawMs = (await meanUs(listRounds, () => listed(adminToken, true))) / 1000;
    const listPlainMs = (await meanUs(listRounds, () => listed(memberToken, false))) / 1000;
    const listBytes = (await send(listUrl, 'GET', adminToken)).text.length;

    const summary = {
      count,
      listRounds,
      bareUs: round1(bareUs),
      createUs: round1(createUs),
      sealUs: round1(sealUs),
      readUs: round1(readUs),
      unsealUs: round1(unsealUs),
      listRawMs: round1(listRawMs),
      listPlainMs: round1(listPlainMs),
      listRawBytes: listBytes,
    };
    const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
    const row = (label: string, value: string, ofBare: number, crypto: string) =>
      out(`  ${label.padEnd(40)} ${value.padStart(10)} ${`${ofBare.toFixed(1)}x`.padStart(9)}   ${crypto}`);
    out('Gantry credentials benchmark');
    out(`  node ${process.version}, sqlite in ${tmp}, GANTRY_LOG_LEVEL=${logLevel}`);
    out(`  ${count} aws credentials; sequential requests on one keep-alive connection; lists ${listRounds}x each`);
    out();
    out(`  ${'operation'.padEnd(40)} ${'mean'.padStart(10)} ${'x bare'.padStart(9)}   crypto (in-process) share`);
    row('d. bare node:http GET / (baseline)', `${summary.bareUs} µs`, 1, '');
    row(
      'a. create credential (POST)',
      `${summary.createUs} µs`,
      createUs / bareUs,
      `seal ${summary.sealUs} µs = ${pct(sealUs, createUs)}`,
    );
    row(
      'b. read credential (GET, audited)',
      `${summary.readUs} µs`,
      readUs / bareUs,
      `unseal ${summary.unsealUs} µs = ${pct(unsealUs, readUs)}`,
    );
    row(
      `c. list ${count} with raw (admin)`,
      `${summary.listRawMs} ms`,
      (1000 * listRawMs) / bareUs,
      `${count} unseals ≈ ${round1((count * unsealUs) / 1000)} ms = ${pct((count * unsealUs) / 1000, listRawMs)}`,
    );
    row(`c. list ${count} without raw (member)`, `${summary.listPlainMs} ms`, (1000 * listPlainMs) / bareUs, '');
    out(
      `  list with raw / without raw: ${(listRawMs / listPlainMs).toFixed(2)}x; raw adds ${round1(listRawMs - listPlainMs)} ms (${listBytes} bytes with raw)`,
    );
    out();
    out(`BENCH_RESULT ${JSON.stringify({ ok: true, summary })}`);
    return 0;
  } catch (error) {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    out(`BENCH_RESULT ${JSON.stringify({ ok: false, error: String(error) })}`);
    return 1;
  } finally {
    agent.destroy();
    await stack?.close();
  }
}

process.exitCode = await main();
