import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { loadContract } from '../src/platform/http/contract.js';
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

/**
 * Every form in which a secret could slip out: as is, URL-encoded, and base64 (standard and URL-safe)
 * at each of the three byte alignments it could have inside a longer encoded text (the first group,
 * mixed with the bytes before it, is left out).
 */
function formsOf(label: string, value: string): Needle[] {
  const forms: Needle[] = [{ label, value }];
  const encoded = encodeURIComponent(value);
  if (encoded !== value) forms.push({ label: `${label} (URL-encoded)`, value: encoded });
  for (let shift = 0; shift < 3; shift++) {
    const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(value)]);
    const whole = Math.floor(bytes.length / 3) * 4;
    const base64 = bytes.toString('base64').slice(shift === 0 ? 0 : 4, whole);
    forms.push({ label: `${label} (base64)`, value: base64 });
    const urlSafe = base64.replace(/\+/g, '-').replace(/\//g, '_');
    if (urlSafe !== base64) forms.push({ label: `${label} (base64url)`, value: urlSafe });
  }
  return forms;
}

/** A real SMTP server demanding a login, keeping the mails it receives. */
async function startAuthenticatingSmtp(password: string) {
  const { SMTPServer } = await import('smtp-server');
  const received: string[] = [];
  const smtp = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === password) callback(null, { user: 'mailer' });
      else callback(new Error('invalid login'));
    },
    onData(stream, _session, callback) {
      let body = '';
      stream.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      stream.on('end', () => {
        // Undo quoted-printable soft breaks and escapes, enough to read a token.
        received.push(
          body
            .replace(/=\r?\n/g, '')
            .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16))),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (smtp.server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

async function eventually<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const engine of testEngines()) {
  /**
   * The server's own secrets and the tokens it issues: the session token, an API key's token, the
   * password-reset and invitation tokens, a password, the SMTP password and the token signing key. Each is
   * used the way clients use it, in every carrier, in failing calls and in calls that end in a 500; then
   * the logs, every error answer and the answer of every GET operation of the contract are searched for
   * each, as is and encoded, and so is what the database keeps.
   */
  describe(`tokens and server secrets never leak (${engine})`, () => {
    const hex = () => randomBytes(8).toString('hex');
    // Characters that URL-encoding changes, so that the encoded forms are searched for too.
    const signingKey = `gantry-signing-canary/${hex()}+${hex()}=`;
    const smtpPassword = `smtp-canary/${hex()}+&=?`;
    const newPassword = `password-canary/${hex()}!`;
    const needles: Needle[] = [];
    const secret = (label: string, value: string) => {
      needles.push(...formsOf(label, value));
      return value;
    };
    const logLines: string[] = [];
    const answers: { call: string; status: number; text: string }[] = [];
    let smtp: Awaited<ReturnType<typeof startAuthenticatingSmtp>>;
    let server: TestServer;
    let org: TestOrg;
    let email: string;
    let sessionTokenValue: string;
    let apiKeyToken: string;
    let invitationToken: string;

    /** A call whose answer joins those searched (all of them: success, failure, 500). */
    const call = async (method: string, url: string, options: RequestOptions = {}) => {
      const res = await server.request(method, url, options);
      answers.push({ call: `${method} ${url}`, status: res.status, text: res.text + JSON.stringify([...res.headers]) });
      return res;
    };
    /** Sends `request`, then reads `pattern` out of the mail it made. */
    const mailAfter = async (request: () => Promise<unknown>, pattern: RegExp, what: string) => {
      const before = smtp.received.length;
      await request();
      return eventually(
        () =>
          smtp.received
            .slice(before)
            .map((m) => pattern.exec(m)?.[1])
            .find(Boolean),
        what,
      );
    };

    before(async () => {
      secret('signing key', signingKey);
      secret('SMTP password', smtpPassword);
      secret('password', newPassword);
      smtp = await startAuthenticatingSmtp(smtpPassword);
      const sink = new Writable({
        write(chunk, _encoding, done) {
          logLines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      });
      server = await startServer(engine, {
        env: {
          GANTRY_LOG_LEVEL: 'debug',
          GANTRY_JWT_SECRET: signingKey,
          GANTRY_SMTP_URL: `smtp://mailer:${encodeURIComponent(smtpPassword)}@127.0.0.1:${smtp.port}`,
        },
        logDestination: sink,
      });
      const admin = await tenant(server);
      org = admin.org;
      email = admin.user.email;
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    it('issues and uses every token: reset, login, API key, invitation', async () => {
      // Password reset: the token comes by mail, and sets a new password.
      const askReset = async () =>
        assert.equal((await call('POST', '/user/reset_password', { body: { email } })).status, 204);
      const resetToken = secret('reset token', await mailAfter(askReset, /Reset token: (\S+)/, 'the reset mail'));
      const reset = await call('PUT', '/user/reset_password', { body: { token: resetToken, password: newPassword } });
      assert.equal(reset.status, 204, reset.text);
      // A used reset token, and a wrong one carrying the used one.
      assert.equal(
        (await call('PUT', '/user/reset_password', { body: { token: resetToken, password: newPassword } })).status,
        401,
      );
      await call('PUT', '/user/reset_password', { body: { token: `${resetToken}x`, password: `${newPassword}x` } });

      // Login with the new password; a wrong one carrying it.
      const login = await server.request('POST', '/user/login', { body: { email, password: newPassword } });
      assert.equal(login.status, 200, login.text);
      sessionTokenValue = secret('session token', login.body.data.token);
      // Positive control: the answer meant to carry the token does, and the search sees it.
      assert.ok(found(login.text, needles).includes('session token'));
      assert.equal(
        (await call('POST', '/user/login', { body: { email, password: `${newPassword}-wrong` } })).status,
        401,
      );

      // An API key: its token is shown once, in the creation answer (not searched).
      const created = await server.request('POST', `/organizations/${org.canonical}/api_keys`, {
        token: sessionTokenValue,
        body: { name: 'leak probe', rules: [{ action: 'organization:**', effect: 'allow' }] },
      });
      assert.equal(created.status, 200, created.text);
      apiKeyToken = secret('API key token', created.body.data.token);

      // An invitation: the token comes by mail; its link is a GET with the token in the path.
      const invite = async () => {
        const invited = await call('POST', `/organizations/${org.canonical}/members`, {
          token: sessionTokenValue,
          body: { email: `invitee-${hex()}@example.com`, role_canonical: 'organization-member' },
        });
        assert.equal(invited.status, 200, invited.text);
      };
      invitationToken = secret('invitation token', await mailAfter(invite, /Your invitation token: (\S+)/, 'the mail'));
      assert.equal((await call('GET', `/members/verify/${invitationToken}`)).status, 200);
      assert.equal((await call('GET', `/api/members/verify/${invitationToken}`)).status, 200);
      assert.equal((await call('GET', `/members/verify/${invitationToken}x`)).status, 404);
    });

    it('presents the tokens in every carrier, valid and tampered', async () => {
      const orgPath = `/organizations/${org.canonical}`;
      for (const presented of [sessionTokenValue, apiKeyToken]) {
        for (const value of [presented, `${presented}x`]) {
          await call('GET', orgPath, { token: value });
          await call('GET', orgPath, { headers: { authorization: `Api-Key ${value}` } });
          await call('GET', orgPath, { headers: { 'x-api-key': value } });
          await call('GET', `${orgPath}?api_key=${encodeURIComponent(value)}`);
          await call('GET', `${orgPath}?access_token=${encodeURIComponent(value)}`);
          // Unknown parameters are refused, naming the parameter: never its value.
          await call('GET', `${orgPath}?note=${encodeURIComponent(value)}`, { token: sessionTokenValue });
          await call('POST', `${orgPath}/teams`, { token: value, body: { name: value, roles_canonical: [value] } });
        }
      }
      // The session token in a Basic header (base64), as some clients send it.
      const basic = Buffer.from(`user:${sessionTokenValue}`).toString('base64');
      assert.equal((await call('GET', orgPath, { headers: { authorization: `Basic ${basic}` } })).status, 401);
      assert.ok(answers.some((a) => a.status === 200 && a.call === `GET ${orgPath}`));
    });

    it('an internal error with the secrets in scope answers a bare 500 and logs none of them', async () => {
      const db = server.database.db;
      const rename = (from: string, to: string) =>
        sql`alter table ${sql.table(from)} rename to ${sql.table(to)}`.execute(db);
      const askReset = async () =>
        assert.equal((await call('POST', '/user/reset_password', { body: { email } })).status, 204);
      const pending = secret('second reset token', await mailAfter(askReset, /Reset token: (\S+)/, 'the reset mail'));
      await rename('user_tokens', 'user_tokens_away');
      await rename('teams', 'teams_away');
      try {
        const broken = await call('PUT', '/user/reset_password', { body: { token: pending, password: newPassword } });
        assert.equal(broken.status, 500, broken.text);
        assert.equal(broken.body.errors[0].code, 'InternalError');
        const teams = await call('GET', `/organizations/${org.canonical}/teams?api_key=${apiKeyToken}`, {
          headers: { 'x-api-key': apiKeyToken },
        });
        assert.equal(teams.status, 500, teams.text);
      } finally {
        await rename('user_tokens_away', 'user_tokens');
        await rename('teams_away', 'teams');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Positive control: the failures were logged, with what went wrong.
      assert.ok(
        logLines.some((line) => line.includes('user_tokens') && /"level":50/.test(line)),
        'the 500 is logged',
      );
    });

    it('a failing mail server (a dependency) is logged without its password', async () => {
      await smtp.close();
      assert.equal((await call('POST', '/user/reset_password', { body: { email } })).status, 204);
      // The mail goes after the commit; its failure is logged.
      await eventually(
        () => (logLines.some((line) => /mail/i.test(line) && /"level":(40|50)/.test(line)) ? true : undefined),
        'the mail failure in the log',
      );
    });

    it('the answer of every GET operation of the contract holds none of them', async () => {
      const contract = loadContract();
      let exercised = 0;
      for (const op of contract.operations) {
        if (op.method !== 'GET') continue;
        const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
          name === 'organization_canonical' ? org.canonical : name.endsWith('_id') ? '1' : 'probe',
        );
        for (const token of [sessionTokenValue, apiKeyToken]) await call('GET', url, { token });
        exercised++;
      }
      assert.ok(exercised > 100, `${exercised} GET operations`);
      const statuses = answers.slice(-2 * exercised).map((a) => a.status);
      // Probed with made-up ids, a GET may answer 404 or 501; never 500 (that path is searched above).
      assert.deepEqual(
        answers
          .slice(-2 * exercised)
          .filter((a) => a.status >= 500 && a.status !== 501)
          .map((a) => a.call),
        [],
      );
      assert.ok(
        statuses.filter((s) => s === 200).length > 20,
        `${statuses.filter((s) => s === 200).length} answered 200`,
      );
    });

    it('logs, error answers, GET answers and the database hold no secret in any form', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Positive control for the encoded forms: each is found inside a longer encoded text.
      for (const shift of ['', 'a', 'ab']) {
        const text = `${Buffer.from(`${shift}${smtpPassword}!`).toString('base64')} ${encodeURIComponent(smtpPassword)}`;
        assert.deepEqual(
          [...new Set(found(text, needles))].sort(),
          ['SMTP password (URL-encoded)', 'SMTP password (base64)'],
          `shift ${shift.length}`,
        );
      }
      const logged = logLines.join('\n');
      assert.ok(logLines.length > 100, `${logLines.length} log lines`);
      assert.ok(logged.includes('/user/reset_password') && logged.includes('/members/verify/'), 'calls were logged');
      assert.deepEqual([...new Set(found(logged, needles))], [], 'in the logs');
      const inAnswers = answers.flatMap(({ call: what, status, text }) =>
        found(text, needles).map((label) => `${label} in ${status} ${what.slice(0, 80)}`),
      );
      assert.ok(answers.length > 250, `${answers.length} answers searched`);
      assert.deepEqual(inAnswers, []);
      assert.deepEqual(await storageHits(server, needles), [], 'in the database');
    });
  });
}
