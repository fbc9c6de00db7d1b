import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CREDENTIAL_TYPES, sampleRaw } from './helpers/credential-samples.js';
import { addMember, createUser, sessionToken, type TestOrg, tenant } from './helpers/factories.js';
import { type RequestOptions, startServer, type TestServer, testEngines } from './helpers/server.js';

/**
 * A recognisable secret goes into a credential of every type and through every credential operation,
 * failing ones included, at debug log level. It must then be nowhere but in the answers that are meant to
 * carry it: not in logs, error answers, lists of callers who may not read, nor the database's rows and
 * files. Each search is shown able to find it (positive controls), so a silent search cannot pass.
 */

interface Needle {
  label: string;
  value: string;
}

/** Labels of the needles present in a text or in raw bytes. */
const found = (haystack: string | Buffer, needles: Needle[]) =>
  needles.filter((n) => haystack.includes(n.value)).map((n) => n.label);

const vanished = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/** Regular files under `dir`, skipping what `skip` names and what vanishes meanwhile (live servers rewrite files). */
function filesUnder(dir: string, skip: (path: string) => boolean): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (vanished(error)) return [];
    throw error;
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (skip(path)) return [];
    if (entry.isDirectory()) return filesUnder(path, skip);
    return entry.isFile() ? [path] : [];
  });
}

/** `<label> in file <path>` for each needle in each file's bytes. */
function fileHits(root: string, needles: Needle[], skip: (path: string) => boolean = () => false): string[] {
  return filesUnder(root, skip).flatMap((path) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      if (vanished(error)) return [];
      throw error;
    }
    return found(bytes, needles).map((label) => `${label} in file ${relative(root, path)}`);
  });
}

/**
 * Where the needles appear in what the database keeps. SQLite: every file of the data directory (the
 * database, its -wal) but the master key's own. PostgreSQL: every row of every table as text, then, after
 * a CHECKPOINT flushes heap pages, the server's files, except other databases' directories (other test
 * files' databases, which cannot hold this run's random needles).
 */
async function storageHits(server: TestServer, needles: Needle[]): Promise<string[]> {
  if (server.engine === 'sqlite') {
    return fileHits(server.dataDir, needles, (path) => basename(path) === 'master.key');
  }
  const client = new pg.Client({ connectionString: server.config.databaseUrl });
  await client.connect();
  try {
    const hits: string[] = [];
    const tables = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    assert.ok(
      tables.rows.some((t) => t.name === 'credentials'),
      'the dump covers the credentials table',
    );
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      hits.push(...found(rows.rows.map((r) => r.row).join('\n'), needles).map((label) => `${label} in table ${name}`));
    }
    const dataDir = process.env.GANTRY_TEST_POSTGRES_DATA_DIR;
    if (dataDir) {
      await client.query('CHECKPOINT');
      const { rows } = await client.query<{ oid: number }>(
        'SELECT oid FROM pg_database WHERE datname = current_database()',
      );
      const base = join(dataDir, 'base');
      const ours = String(rows[0]!.oid);
      hits.push(...fileHits(dataDir, needles, (path) => dirname(path) === base && basename(path) !== ours));
    }
    return hits;
  } finally {
    await client.end();
  }
}

/** A token endpoint that refuses every assertion, echoing it decoded (key id included) and raw. */
async function startEchoingTokenEndpoint(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const assertion = new URLSearchParams(body).get('assertion') ?? '';
      const decoded = assertion
        .split('.')
        .slice(0, 2)
        .map((part) => Buffer.from(part, 'base64url').toString())
        .join(' ');
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: `refused ${decoded} in ${body}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The longest line of a PEM block: key material that must stay sealed like the canary. */
const pemLine = (pem: string) => pem.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');

for (const engine of testEngines()) {
  describe(`secrets never leak (${engine})`, () => {
    const canary = `gantry-leak-canary-${randomBytes(8).toString('hex')}`;
    const secrets: Needle[] = [{ label: 'canary', value: canary }];
    let masterKey: Needle[] = [];
    const logLines: string[] = [];
    const errorAnswers: { call: string; text: string }[] = [];
    let server: TestServer;
    let echo: Server;
    let org: TestOrg;
    let token: string;
    let memberToken: string;
    const path = (suffix = '') => `/organizations/${org.canonical}/credentials${suffix}`;
    const bodyOf = (type: string, raw: unknown) => ({ name: `Leak ${type}`, type, path: `leak/${type}`, raw });

    /** A call that must fail with `status`; its answer (body and headers) joins those searched. */
    const failing = async (status: number, method: string, url: string, options: RequestOptions = {}) => {
      const res = await server.request(method, url, options);
      assert.equal(res.status, status, `${method} ${url.replace(canary, 'CANARY')}: ${res.text.slice(0, 300)}`);
      errorAnswers.push({ call: `${method} ${url} -> ${status}`, text: res.text + JSON.stringify([...res.headers]) });
    };

    before(async () => {
      echo = await startEchoingTokenEndpoint();
      const sink = new Writable({
        write(chunk, _encoding, done) {
          logLines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      });
      const tokenUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/token`;
      server = await startServer(engine, {
        env: { GANTRY_LOG_LEVEL: 'debug', GANTRY_GCP_TOKEN_URL: tokenUrl },
        logDestination: sink,
      });
      ({ org, token } = await tenant(server));
      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      memberToken = sessionToken(server, member);
      const key = readFileSync(join(server.dataDir, 'master.key'), 'utf8').trim();
      masterKey = [
        { label: 'master key', value: key },
        { label: 'master key (hex)', value: Buffer.from(key, 'base64').toString('hex') },
      ];
    });
    after(async () => {
      await server?.close();
      echo?.close();
    });

    it('creates, reads, updates and lists a credential of every type holding the secret', async () => {
      for (const type of CREDENTIAL_TYPES) {
        const raw = sampleRaw(type, canary);
        if (type === 'ssh') secrets.push({ label: 'ssh key material', value: pemLine(raw.ssh_key as string) });
        if (type === 'gcp') {
          const privateKey = JSON.parse(raw.json_key as string).private_key as string;
          secrets.push({ label: 'gcp key material', value: pemLine(privateKey) });
        }
        const created = await server.request('POST', path(), { token, body: bodyOf(type, raw) });
        assert.equal(created.status, 200, `${type}: ${created.text}`);
        const read = await server.request('GET', path(`/leak-${type}`), { token });
        assert.equal(read.status, 200, read.text);
        // Positive control: the search finds the secret where it belongs.
        assert.ok(found(read.text, secrets).includes(type === 'ssh' ? 'ssh key material' : 'canary'), type);
        const updated = await server.request('PUT', path(`/leak-${type}`), {
          token,
          body: { ...bodyOf(type, raw), canonical: `leak-${type}`, description: 'rotated' },
        });
        assert.equal(updated.status, 200, updated.text);
      }
      const adminList = await server.request('GET', path('?page_size=1000'), { token });
      assert.deepEqual(found(adminList.text, secrets), ['canary', 'ssh key material', 'gcp key material']);
      const memberList = await server.request('GET', path('?page_size=1000'), { token: memberToken });
      assert.equal(memberList.status, 200);
      // Every type once, plus the organization's built-in `vault`.
      assert.equal(memberList.body.data.length, CREDENTIAL_TYPES.length + 1);
      assert.deepEqual(found(memberList.text, secrets), [], 'a caller without read sees no value');
    });

    it('failing calls answer without the secret: 422, 409, 400, 401, 403', async () => {
      const aws = { access_key: 'AKIAEXAMPLE0000001', secret_key: canary };
      const sshBlock = `-----BEGIN OPENSSH PRIVATE KEY-----\n${canary}\n-----END OPENSSH PRIVATE KEY-----\n`;
      // Raw values the server refuses (422), each carrying the secret where a message might quote it.
      const refusedRaws: [string, Record<string, unknown>][] = [
        ['aws', { ...aws, password: canary, username: 'x' }],
        ['aws', { ...aws, secret_key: `${canary} x` }],
        ['basic_auth', { password: canary }],
        ['swift', { ...sampleRaw('swift', canary), auth_url: canary }],
        ['gcp', { json_key: `{"private_key_id":"${canary}"` }],
        ['gcp', { json_key: JSON.stringify({ type: 'service_account', private_key: canary }) }],
        ['ssh', { ssh_key: sshBlock }],
        ['ssh', { ssh_key: `ssh-ed25519 AAAAC3Nza ${canary}` }],
        ['custom', { raw: { 'bad key!': canary } }],
        ['custom', { password: canary }],
        ['elasticsearch', { ca_cert: `-----BEGIN CERTIFICATE-----\n${canary}` }],
      ];
      for (const [type, raw] of refusedRaws) await failing(422, 'POST', path(), { token, body: bodyOf(type, raw) });
      const awsUpdate = (extra: Record<string, unknown>) => ({
        ...bodyOf('aws', aws),
        canonical: 'leak-aws',
        ...extra,
      });
      await failing(422, 'PUT', path('/leak-aws'), {
        token,
        body: awsUpdate({ raw: { ...aws, client_secret: canary } }),
      });
      // Duplicates: same path, same canonical, a path taken by another credential.
      await failing(409, 'POST', path(), { token, body: { ...bodyOf('aws', aws), name: 'Other name' } });
      await failing(409, 'POST', path(), { token, body: { ...bodyOf('aws', aws), path: 'leak/other' } });
      await failing(409, 'PUT', path('/leak-vmware'), { token, body: awsUpdate({ canonical: 'leak-vmware' }) });
      // Schema errors: an unknown field carrying the secret, a secret of the wrong shape, broken bodies.
      await failing(400, 'POST', path(), { token, body: { ...bodyOf('aws', aws), leaked: canary } });
      await failing(400, 'POST', path(), { token, body: { ...bodyOf('kerberos', aws), leaked: canary } });
      await failing(400, 'POST', path(), { token, body: bodyOf('aws', { ...aws, secret_key: [canary] }) });
      const json = { 'content-type': 'application/json' };
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      await failing(400, 'POST', path(), { token, headers: json, raw: `{"raw":{"secret_key":"${canary}"` });
      await failing(400, 'POST', path(), { token, headers: form, raw: `name=x&type=aws&path=p&raw=${canary}` });
      // The secret presented as a token, and a caller who may neither read nor write.
      await failing(401, 'GET', path('/leak-aws'), { token: canary });
      await failing(401, 'GET', path('/leak-aws'), { headers: { 'x-api-key': canary } });
      await failing(401, 'GET', path(`/leak-aws?api_key=${canary}`));
      await failing(401, 'GET', path(`/leak-aws?access_token=${canary}`));
      await failing(403, 'GET', path('/leak-aws'), { token: memberToken });
      await failing(403, 'PUT', path('/leak-aws'), { token: memberToken, body: awsUpdate({}) });
      await failing(403, 'DELETE', path('/leak-aws'), { token: memberToken });
      // Using the credential: the upstream echoes the key id (the canary) back in its refusal.
      await failing(422, 'GET', path('/leak-gcp/options?service=gcp_bigquery'), { token });
      await failing(422, 'GET', path('/leak-aws/options?service=gcp_bigquery'), { token });
      const hits = errorAnswers.flatMap(({ call, text }) =>
        found(text, secrets).map((label) => `${label} in the answer to ${call.replace(canary, 'CANARY')}`),
      );
      assert.deepEqual(hits, []);
    });

    it('the secret in api_key is redacted from the request log line', async () => {
      const redacted = await server.request('GET', path(`/leak-aws?api_key=${canary}`), { token });
      assert.equal(redacted.status, 200, redacted.text);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const logged = logLines.join('\n');
      assert.match(logged, /\/credentials\/leak-aws\?api_key=\[REDACTED\]/);
      assert.deepEqual(found(logged, secrets), []);
    });

    it('the secret in any other query parameter is redacted too', async () => {
      await failing(400, 'GET', path(`/leak-aws?note=${canary}`), { token });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const lines = logLines.filter((line) => line.includes('/leak-aws?note='));
      assert.equal(lines.length, 1, 'the call was logged');
      assert.deepEqual(found(lines[0]!, secrets), []);
    });

    it('the database keeps neither the secret nor the master key, in rows or files', async () => {
      const needles = [...secrets, ...masterKey];
      assert.deepEqual(await storageHits(server, needles), []);
    });

    // Split from the search above only to keep each test short (a CHECKPOINT and a walk each).
    it('positive control: the same search finds the secret written into a column that is not sealed', async () => {
      const control = await server.request('PUT', path('/leak-vmware'), {
        token,
        body: { ...bodyOf('vmware', { username: 'u', password: 'p' }), canonical: 'leak-vmware', description: canary },
      });
      assert.equal(control.status, 200, control.text);
      const hits = await storageHits(server, [...secrets, ...masterKey]);
      assert.ok(hits.length > 0 && hits.every((hit) => hit.startsWith('canary in ')), hits.join('; '));
      const where = hits.join('; ');
      if (engine === 'sqlite')
        assert.ok(
          hits.some((hit) => hit.includes(' in file gantry.db')),
          where,
        );
      else assert.ok(hits.includes('canary in table credentials'), where);
      if (engine === 'postgres' && process.env.GANTRY_TEST_POSTGRES_DATA_DIR) {
        assert.ok(
          hits.some((hit) => hit.startsWith('canary in file base/')),
          where,
        );
      }
    });

    it('deletes every credential; the logs hold neither secrets nor the master key', async () => {
      for (const type of CREDENTIAL_TYPES) {
        assert.equal((await server.request('DELETE', path(`/leak-${type}`), { token })).status, 204);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      const logged = logLines.join('\n');
      // Positive control: every call above was logged, and the search reads those lines.
      assert.ok(logLines.length >= 50, `${logLines.length} log lines`);
      assert.deepEqual(found(logged, [{ label: 'request', value: path('/leak-swift') }]), ['request']);
      assert.deepEqual(found(logged, [...secrets, ...masterKey]), []);
    });
  });
}
