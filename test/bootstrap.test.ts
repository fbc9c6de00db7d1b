import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureFirstAdmin, usernameFromEmail } from '../src/modules/users/bootstrap.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin', 'gantry.js');

for (const engine of testEngines()) {
  describe(`first start: the first administrator (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());

    it('creates a verified admin with a generated password and the root organization, once', async () => {
      const admin = await ensureFirstAdmin(server.database.db, {
        email: undefined,
        password: undefined,
        organization: undefined,
      });
      assert.ok(admin);
      assert.equal(admin.email, 'admin@gantry.local');
      assert.equal(admin.organization, 'main');
      assert.ok(admin.generatedPassword && admin.generatedPassword.length >= 16);
      assert.equal(
        await ensureFirstAdmin(server.database.db, { email: undefined, password: undefined, organization: undefined }),
        undefined,
      );

      const org = await server.database.db
        .selectFrom('organizations')
        .selectAll()
        .where('canonical', '=', 'main')
        .executeTakeFirstOrThrow();
      assert.equal(org.is_root, 1);
      const login = await server.request('POST', '/user/login', {
        body: { email: admin.email, password: admin.generatedPassword, organization_canonical: 'main' },
      });
      assert.equal(login.status, 200, login.text);
      assert.ok(login.body.data.permissions['organization:**']);
      const events = await server.database.db
        .selectFrom('events')
        .select('title')
        .where('organization_id', '=', org.id)
        .execute();
      assert.deepEqual(
        events.map((e) => e.title),
        ['organization:create'],
      );
    });

    it('refuses a common GANTRY_ADMIN_PASSWORD', async () => {
      await server.database.db.deleteFrom('memberships').execute();
      await server.database.db.deleteFrom('users').execute();
      await assert.rejects(
        ensureFirstAdmin(server.database.db, {
          email: 'ops@example.com',
          password: 'password123',
          organization: 'ops',
        }),
        /GANTRY_ADMIN_PASSWORD is one of the most common passwords/,
      );
    });
  });
}

describe('usernameFromEmail', () => {
  it('derives a valid username or falls back to admin', () => {
    assert.equal(usernameFromEmail('Jane.Doe+ops@example.com'), 'jane-doe-ops');
    assert.equal(usernameFromEmail('x@example.com'), 'admin');
  });
});

describe('gantry serve and gantry admin (command line)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GANTRY_')) env[k] = v;
    return { ...env, GANTRY_LOG_PRETTY: 'false', GANTRY_LOG_LEVEL: 'warn', ...extra };
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-bootstrap-'));
    dirs.push(dir);
    return dir;
  }

  /** Starts `gantry serve` and resolves once the first-start block (or the URL, later starts) is printed. */
  function serve(
    env: Record<string, string>,
    waitFor: RegExp,
  ): Promise<{ child: ChildProcess; output: string; url: string }> {
    const child = spawn(process.execPath, [bin, 'serve'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /Gantry is running at (http:\/\/\S+)/.exec(output)?.[1];
        if (url && waitFor.test(output)) {
          clearTimeout(timer);
          resolve({ child, output, url });
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    });
  }

  async function stop(child: ChildProcess) {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  const gantry = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [bin, ...args], { env: cleanEnv(env), encoding: 'utf8' });

  const post = async (url: string, body: unknown, token?: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };

  before(() => {
    // bin/gantry.js runs the compiled program: make sure it is current.
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-ready.mjs'), '--quiet'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
  });
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('first start prints the generated password and a curl command that logs in', async () => {
    const dataDir = tempDir();
    const { child, output, url } = await serve({ GANTRY_DATA_DIR: dataDir, GANTRY_PORT: '0' }, /-d '\{.*\}'/);
    assert.match(output, /email: +admin@gantry\.local/);
    const password = /password: +(\S+) +\(generated/.exec(output)?.[1];
    assert.ok(password, output);
    const body = JSON.parse(/-d '(\{.*\})'/.exec(output)?.[1] ?? '{}');
    assert.deepEqual(body, { email: 'admin@gantry.local', password, organization_canonical: 'main' });
    assert.match(output, new RegExp(`curl -s -X POST ${url}/user/login`));
    const login = await post(`${url}/user/login`, body);
    assert.equal(login.status, 200);
    await stop(child);

    const again = await serve({ GANTRY_DATA_DIR: dataDir, GANTRY_PORT: '0' }, /API reference/);
    assert.doesNotMatch(again.output, /First start/);
    await stop(again.child);
  });

  it('uses GANTRY_ADMIN_*, never echoes the given password; admin commands create keys and users', async () => {
    const dataDir = tempDir();
    const env = {
      GANTRY_DATA_DIR: dataDir,
      GANTRY_PORT: '0',
      GANTRY_ADMIN_EMAIL: 'Ops@Example.com',
      GANTRY_ADMIN_PASSWORD: 'lighthouse-keeper-42',
      GANTRY_ADMIN_ORG: 'ops',
    };
    const { child, output, url } = await serve(env, /-d '\{.*\}'/);
    assert.match(output, /email: +ops@example\.com/);
    assert.match(output, /organization: ops/);
    assert.ok(!output.includes('lighthouse-keeper-42'));
    const admin = await post(`${url}/user/login`, { email: 'ops@example.com', password: 'lighthouse-keeper-42' });
    assert.equal(admin.status, 200);

    const created = gantry(['admin', 'create-api-key', '--org', 'ops', '--name', 'ci robot'], env);
    assert.equal(created.status, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^\S+$/);
    assert.match(created.stderr, /API key 'ci-robot' of organization 'ops'/);
    const keys = await fetch(`${url}/organizations/ops/api_keys`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(keys.status, 200);
    const listed = ((await keys.json()) as any).data;
    assert.ok(listed.some((k: any) => k.canonical === 'ci-robot' && k.owner?.username === 'ops'));

    const readonly = gantry(['admin', 'create-api-key', '--org', 'ops', '--readonly'], env);
    assert.equal(readonly.status, 0, readonly.stderr);
    const write = await post(`${url}/organizations/ops/api_keys`, { name: 'nope', rules: [] }, readonly.stdout.trim());
    assert.equal(write.status, 403);

    const missing = gantry(['admin', 'create-api-key', '--org', 'nowhere'], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /organization 'nowhere' not found/);
    const usage = gantry(['admin', 'create-api-key', '--organisation', 'ops'], env);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /unknown option --organisation/);

    const user = gantry(
      [
        'admin',
        'create-user',
        '--email',
        'dev@example.com',
        '--username',
        'dev',
        '--org',
        'ops',
        '--role',
        'organization-member',
      ],
      env,
    );
    assert.equal(user.status, 0, user.stderr);
    const password = user.stdout.trim();
    const login = await post(`${url}/user/login`, {
      username: 'dev',
      password,
      organization_canonical: 'ops',
    });
    assert.equal(login.status, 200);
    assert.ok(login.body.data.permissions['organization:read']);
    assert.equal(login.body.data.permissions['organization:**'], undefined);
    const duplicate = gantry(['admin', 'create-user', '--email', 'dev@example.com', '--username', 'dev2'], env);
    assert.equal(duplicate.status, 1);
    assert.match(duplicate.stderr, /already registered/);
    await stop(child);
  });

  it('a weak GANTRY_ADMIN_PASSWORD stops the first start with a clear message', () => {
    const result = gantry(['serve'], {
      GANTRY_DATA_DIR: tempDir(),
      GANTRY_PORT: '0',
      GANTRY_ADMIN_PASSWORD: 'password123',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /GANTRY_ADMIN_PASSWORD is one of the most common passwords/);
  });
});
