import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CONTRACT_PATH, EXTENSIONS_PATH, loadContract } from '../../src/platform/http/contract.js';
import { EXTENSIONS_TAG, extensionProblems } from '../../src/platform/http/extensions.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { testContract, testModule } from './http-test-operations.js';

const contractDocument = () => JSON.parse(readFileSync(CONTRACT_PATH, 'utf8'));

describe('extensions beside the contract', () => {
  it('load with the contract, tagged apart, and resolve the contract components', () => {
    const contract = loadContract();
    const logout = contract.byId.get('logout');
    assert.ok(logout?.extension);
    assert.deepEqual(logout.tags, [EXTENSIONS_TAG]);
    assert.equal(contract.byId.get('login')?.extension, false);
    assert.equal(loadContract(CONTRACT_PATH, null).byId.has('logout'), false);
    assert.deepEqual(extensionProblems(contractDocument(), JSON.parse(readFileSync(EXTENSIONS_PATH, 'utf8'))), []);
  });

  it('are refused when they collide with the contract or lack their tag', () => {
    const clash = {
      paths: {
        '/user/login': { post: { operationId: 'loginAgain', tags: [EXTENSIONS_TAG] } },
        '/organizations/{other}': { get: { operationId: 'shadow', tags: [EXTENSIONS_TAG] } },
        '/user/new': { post: { operationId: 'login', tags: [EXTENSIONS_TAG] }, put: { operationId: 'untagged' } },
        '/user/lock': { additionalOperations: { FETCH: { operationId: 'fetch', tags: [EXTENSIONS_TAG] } } },
        '/user': {
          parameters: [],
          additionalOperations: { LOCK: { operationId: 'lockUser', tags: [EXTENSIONS_TAG] } },
        },
      },
      components: { schemas: { User: { type: 'object' } } },
    };
    const problems = extensionProblems(contractDocument(), clash).join('\n');
    assert.match(problems, /POST \/user\/login: the route is already taken/);
    assert.match(problems, /GET \/organizations\/\{other\}: the route is already taken/);
    assert.match(problems, /operationId 'login' is already used/);
    assert.match(problems, /PUT \/user\/new: must be tagged 'Gantry extensions'/);
    assert.match(problems, /FETCH \/user\/lock: not an HTTP method/);
    assert.match(problems, /\/user: 'parameters' would change the contract's path item/);
    assert.match(problems, /components\.schemas\.User/);
    assert.doesNotMatch(problems, /LOCK \/user/, 'a new method on a contract path is fine');
  });
});

describe('per-operation request and response options', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { app: { contract: testContract(), extraModules: () => [testModule()] } });
  });
  after(() => server.close());

  it('a body over the operation limit is a 413 naming the limit; under it, validation still applies', async () => {
    const big = await server.request('POST', '/test/notes', { body: { text: 'x'.repeat(200) } });
    assert.equal(big.status, 413, big.text);
    assert.equal(big.body.errors[0].code, 'PayloadTooLarge');
    assert.match(big.body.errors[0].message, /100 bytes/);
    const ok = await server.request('POST', '/test/notes', { body: { text: 'short' } });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.data, { text: 'short' });
    const unknown = await server.request('POST', '/test/notes', { body: { text: 'a', extra: 1 } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.errors[0].message, /extra/);
  });

  it('the global limit (1 MiB) answers 413 naming it too, with or without a Content-Length', async () => {
    const body = JSON.stringify({ email: `${'a'.repeat(1024 * 1024)}@example.com`, password: 'x' });
    const res = await server.request('POST', '/user/login', {
      raw: body,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 413, res.text);
    assert.match(res.body.errors[0].message, /1 MiB \(1048576 bytes\)/);
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const streamed = await fetch(`${server.url}/user/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.match(((await streamed.json()) as any).errors[0].message, /1 MiB/);
  });

  it('keeps the raw bytes of JSON and binary bodies for operations that ask', async () => {
    const text = '{"text":  "spaced"  }';
    const asJson = await server.request('PUT', '/test/checksum', {
      raw: text,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(asJson.status, 200, asJson.text);
    assert.equal(asJson.body.data.sha256, createHash('sha256').update(text).digest('hex'));
    assert.equal(asJson.body.data.kind, 'json');
    const bytes = Buffer.from([0, 159, 146, 150, 255]);
    const binary = await fetch(`${server.url}/test/checksum`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const data = ((await binary.json()) as any).data;
    assert.equal(binary.status, 200);
    assert.deepEqual(data, { sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'binary', size: 5 });
    // Declared JSON is still validated.
    const invalid = await server.request('PUT', '/test/checksum', { body: { text: 1 } });
    assert.equal(invalid.status, 400);
  });

  it('refuses binary bodies where the operation does not declare them', async () => {
    for (const path of ['/test/notes', '/user/login']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from('{"text":"x"}'),
      });
      assert.equal(res.status, 415, path);
      assert.match(((await res.json()) as any).errors[0].message, /application\/octet-stream/);
    }
  });

  it('answers raw bytes and redirects as declared', async () => {
    const raw = await fetch(`${server.url}/test/raw`);
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('content-type'), 'application/octet-stream');
    assert.equal(raw.headers.get('etag'), '"v1"');
    assert.deepEqual([...new Uint8Array(await raw.arrayBuffer())], [0, 1, 2, 255]);
    assert.equal((await fetch(`${server.url}/test/raw?empty=true`)).status, 204);
    const moved = await fetch(`${server.url}/test/redirect`, { redirect: 'manual' });
    assert.equal(moved.status, 302);
    assert.equal(moved.headers.get('location'), '/docs');
  });

  it('routes extension methods beyond OpenAPI (LOCK, UNLOCK) with validation', async () => {
    const locked = await server.request('LOCK', '/test/lock', { body: { text: 'held' } });
    assert.equal(locked.status, 200, locked.text);
    assert.deepEqual(locked.body.data, { text: 'held' });
    assert.equal((await server.request('LOCK', '/test/lock', { body: { nope: 1 } })).status, 400);
    assert.equal((await server.request('UNLOCK', '/test/lock')).status, 204);
    assert.equal((await server.request('LOCK', '/api/test/lock', { body: { text: 'x' } })).status, 200);
  });

  it('refuses at boot what an operation table cannot declare', async () => {
    const { registerOperations } = await import('../../src/platform/http/registrar.js');
    const { createSchemaCompiler } = await import('../../src/platform/http/schemas.js');
    const Fastify = (await import('fastify')).default;
    const contract = testContract();
    const boot = (operations: Record<string, any>) =>
      registerOperations(Fastify(), [{ name: 't', operations }], {
        contract,
        compiler: createSchemaCompiler(contract),
        db: server.database.db,
        authenticator: undefined as any,
      });
    assert.throws(() => boot({ testSmallBody: { tx: true, respond: 'stream', handler: () => [] } }), /streams/);
    assert.throws(() => boot({ testRedirect: { rawBody: true, handler: () => {} } }), /takes no request body/);
    assert.throws(() => boot({ testSmallBody: { bodyLimit: -1, handler: () => {} } }), /bodyLimit/);
  });
});
