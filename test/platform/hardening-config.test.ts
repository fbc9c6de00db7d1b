import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ConfigError, loadConfig } from '../../src/config.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('GANTRY_TRUST_PROXY never trusts every hop', () => {
  const trust = (value: string) => loadConfig({ GANTRY_TRUST_PROXY: value }).trustProxy;

  it('takes a hop count or proxy addresses', () => {
    assert.equal(trust('false'), false);
    assert.equal(trust('1'), 1);
    assert.equal(trust('10.0.0.5, 10.0.1.0/24'), '10.0.0.5,10.0.1.0/24');
  });

  it('refuses "true", naming what to give instead', () => {
    assert.throws(
      () => trust('true'),
      (error: ConfigError) => /number of proxies/.test(error.message),
    );
    assert.throws(() => trust('proxy.example.com'), /not an address or CIDR/);
    assert.throws(() => trust('50'), /at most 10 hops/);
  });
});

describe('what the server sets up for a shared install', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { env: { GANTRY_METRICS_TOKEN: 'metrics-token-of-some-length' } });
  });
  after(() => server.close());

  it('GET /metrics needs the metrics token when one is set', async () => {
    assert.equal((await server.request('GET', '/metrics')).status, 401);
    assert.equal((await server.request('GET', '/metrics', { token: 'wrong-token-of-some-length' })).status, 401);
    const ok = await server.request('GET', '/metrics', { token: 'metrics-token-of-some-length' });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /gantry_http_requests_total/);
  });

  it('answers carry no-sniff and no-framing headers, and no X-Powered-By', async () => {
    for (const path of ['/version', '/no-such-route', '/docs']) {
      const res = await server.request('GET', path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('x-powered-by'), null, path);
    }
    assert.match((await server.request('GET', '/docs')).headers.get('content-security-policy') ?? '', /default-src/);
  });

  it('the SQLite database file is readable by its owner only', () => {
    const mode = statSync(join(server.dataDir, 'gantry.db')).mode & 0o777;
    assert.equal(mode, 0o600, mode.toString(8));
  });
});
