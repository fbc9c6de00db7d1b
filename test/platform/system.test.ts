import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer, testEngines } from '../helpers/server.js';

for (const engine of testEngines()) {
  describe(`system operations and operator surface (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());

    it('getAppVersion answers the version in the envelope', async () => {
      const res = await server.request('GET', '/version');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(Object.keys(res.body), ['data']);
      assert.match(res.body.data.version, /^\d+\.\d+\.\d+/);
      assert.ok(res.body.data.revision.length >= 8);
      assert.ok(res.body.data.branch.length >= 1);
    });

    it('serves the same routes under /api and answers HEAD without a body', async () => {
      const api = await server.request('GET', '/api/version');
      assert.equal(api.status, 200);
      assert.equal(api.body.data.version, (await server.request('GET', '/version')).body.data.version);
      const head = await server.request('HEAD', '/version');
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
    });

    it('getStatus reports the database and every subsystem honestly', async () => {
      const res = await server.request('GET', '/status');
      assert.equal(res.status, 200);
      assert.equal(res.body.data.status, 'Success');
      const byName = Object.fromEntries(res.body.data.checks.map((c: any) => [c.canonical, c]));
      assert.equal(byName.database.status, 'Success');
      assert.equal(byName.migrations.status, 'Success');
      assert.equal(byName['pipeline-scheduler'].status, 'Unknown');
    });

    it('getServiceStatus answers one check, 404 for an unknown service, 400 for a bad canonical', async () => {
      const ok = await server.request('GET', '/status/database');
      assert.equal(ok.status, 200);
      assert.equal(ok.body.data.canonical, 'database');
      const missing = await server.request('GET', '/status/no-such-service');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.errors[0].code, 'NotFound');
      const bad = await server.request('GET', '/status/NO!');
      assert.equal(bad.status, 400);
      assert.match(bad.body.errors[0].message, /service_status_canonical/);
    });

    it('getConfig and getCountries answer reference data', async () => {
      const config = await server.request('GET', '/config');
      assert.deepEqual(config.body, { data: { sentry_enabled: false } });
      const countries = await server.request('GET', '/countries');
      assert.equal(countries.status, 200);
      assert.ok(countries.body.data.length > 240);
      const fr = countries.body.data.find((c: any) => c.code === 'FR');
      assert.equal(fr.name, 'France');
      for (const c of countries.body.data) assert.match(c.code, /^[A-Z]{2}$/);
    });

    it('echoes a well-formed X-Request-Id and makes one otherwise', async () => {
      const given = await server.request('GET', '/version', { headers: { 'x-request-id': 'trace-123' } });
      assert.equal(given.headers.get('x-request-id'), 'trace-123');
      const made = await server.request('GET', '/version', { headers: { 'x-request-id': 'bad id with spaces' } });
      assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const error = await server.request('GET', '/nowhere', { headers: { 'x-request-id': 'trace-404' } });
      assert.equal(error.body.request_id, 'trace-404');
    });

    it('health and readiness probes answer', async () => {
      assert.deepEqual((await server.request('GET', '/healthz')).body, { status: 'ok' });
      const ready = await server.request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body.checks, { database: 'ok', migrations: 'ok' });
    });

    it('serves the contract and a self-contained API reference page', async () => {
      const contract = await server.request('GET', '/openapi.json');
      assert.equal(contract.status, 200);
      assert.equal(contract.body.info.title, 'Gantry API');
      const operations = Object.values(contract.body.paths).flatMap((p: any) => Object.values(p)) as any[];
      assert.equal(operations.filter((op) => !op.tags.includes('Gantry extensions')).length, 269);
      const logout = operations.find((op) => op.operationId === 'logout');
      assert.deepEqual(logout?.tags, ['Gantry extensions'], 'extensions are served under their own tag');
      assert.ok(contract.body.tags.some((tag: any) => tag.name === 'Gantry extensions'));
      const page = await server.request('GET', '/docs');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      // Every asset the page loads is served by us, from our own origin.
      const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(sources.length >= 3);
      for (const source of sources) {
        assert.ok(source.startsWith('/'), `${source} must be served locally`);
        const asset = await server.request('GET', source);
        assert.equal(asset.status, 200, source);
        assert.ok(asset.text.length > 0, source);
      }
      assert.equal((await server.request('GET', '/docs/assets/../../package.json')).status, 404);
    });

    it('exposes Prometheus metrics per operationId', async () => {
      await server.request('GET', '/version');
      const metrics = await server.request('GET', '/metrics');
      assert.equal(metrics.status, 200);
      assert.match(
        metrics.text,
        /gantry_http_requests_total\{operation="getAppVersion",method="GET",status="200"\} \d+/,
      );
      assert.match(metrics.text, /gantry_http_request_duration_seconds_bucket\{le="0.005",operation="getAppVersion"\}/);
    });
  });
}
