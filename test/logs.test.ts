import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { addMember, createUser, sessionToken, type TestOrg, tenant } from './helpers/factories.js';
import { type FakeCloudWatch, startFakeCloudWatch } from './helpers/fake-cloudwatch.js';
import { type FakeElasticsearch, startFakeElasticsearch } from './helpers/fake-elasticsearch.js';
import { insertProjects } from './helpers/projects.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const ES_USER = 'log-reader';
const ES_PASSWORD = 'plum-heron-4711';
const AWS_ACCESS = 'AKIALOGSTEST0000001';
const AWS_SECRET = 'cw-secret-wolf-8832';
const T0 = Date.UTC(2026, 10, 1, 12);
const min = (n: number) => T0 + n * 60_000;

/**
 * The logs story over HTTP: credentials and logs backends are created through the API, then log
 * sources and entries are read from a test Elasticsearch server and a test CloudWatch Logs server that
 * evaluate the queries they receive.
 */
for (const engine of testEngines()) {
  describe(`project environment logs (${engine})`, () => {
    let server: TestServer;
    let es: FakeElasticsearch;
    let cw: FakeCloudWatch;
    let org: TestOrg;
    let token: string;
    const orgPath = (suffix: string) => `/organizations/${org.canonical}${suffix}`;
    const logs = (project: string, env: string, suffix = '') =>
      orgPath(`/projects/${project}/environments/${env}/logs/sources${suffix}`);
    const post = async (suffix: string, body: unknown) => {
      const res = await server.request('POST', orgPath(suffix), { token, body });
      assert.equal(res.status, 200, res.text);
      return res.body.data;
    };

    /** The organization's default logs backend: the test Elasticsearch server, read with the credential. */
    const defaultBackend = () => ({
      purpose: 'logs',
      default: true,
      credential_canonical: 'es-reader',
      configuration: {
        engine: 'ElasticsearchLogs',
        version: '7',
        urls: [es.url],
        sources: {
          prod: {
            'access.log': {
              index: 'web',
              mapping: { host: 'hostname', message: 'message', timestamp: 'timestamp' },
              prefilters: { env: 'prod' },
            },
          },
        },
      },
    });

    before(async () => {
      es = await startFakeElasticsearch({ username: ES_USER, password: ES_PASSWORD });
      es.index('web', [
        { timestamp: new Date(min(1)).toISOString(), hostname: 'web-1', message: 'GET /health 200', env: 'prod' },
        { timestamp: min(2), hostname: 'web-2', message: 'GET /cart 500 upstream timeout', env: 'prod' },
        { timestamp: min(3), hostname: 'web-1', message: 'GET /cart 200', env: 'prod' },
        { timestamp: min(2), hostname: 'web-9', message: 'GET /cart 500 staging noise', env: 'staging' },
      ]);
      cw = await startFakeCloudWatch({ accessKey: AWS_ACCESS, secretKey: AWS_SECRET });
      cw.putEvents('/billing/prod/api', 'i-0a', [
        { timestamp: min(1), message: 'invoice 1 sent' },
        { timestamp: min(5), message: 'invoice 2 failed' },
      ]);
      cw.addGroup('/someone-else/prod/api');
      server = await startServer(engine, { env: { GANTRY_AWS_CLOUDWATCH_LOGS_ENDPOINT: cw.url } });
      ({ org, token } = await tenant(server));
      await insertProjects(server, org, { shop: ['prod', 'staging'], billing: ['prod'] });

      await post('/credentials', {
        name: 'ES reader',
        canonical: 'es-reader',
        type: 'elasticsearch',
        path: 'logs/es',
        raw: { username: ES_USER, password: ES_PASSWORD },
      });
      await post('/external_backends', defaultBackend());
      await post('/credentials', {
        name: 'AWS logs',
        canonical: 'aws-logs',
        type: 'aws',
        path: 'logs/aws',
        raw: { access_key: AWS_ACCESS, secret_key: AWS_SECRET },
      });
      await post('/external_backends', {
        purpose: 'logs',
        project_canonical: 'billing',
        credential_canonical: 'aws-logs',
        configuration: { engine: 'AWSCloudWatchLogs', region: 'eu-west-1' },
      });
    });
    after(async () => {
      await server.close();
      await es.close();
      await cw.close();
    });

    it('lists the sources of the environment from the organization default backend', async () => {
      // An organization-wide backend nobody marked as default serves only when there is no default.
      const spare = await post('/external_backends', {
        purpose: 'logs',
        configuration: {
          engine: 'ElasticsearchLogs',
          version: '7',
          urls: [es.url],
          sources: { prod: { 'spare.log': { index: 'web' } } },
        },
      });
      const res = await server.request('GET', logs('shop', 'prod'), { token });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, [{ id: 'access.log' }]);
      const none = await server.request('GET', logs('shop', 'staging'), { token });
      assert.deepEqual(none.body.data, []);
      const defaultId = (
        await server.request('GET', orgPath('/external_backends?external_backend_default=true'), { token })
      ).body.data[0].id;
      await server.request('DELETE', orgPath(`/external_backends/${defaultId}`), { token });
      const lone = await server.request('GET', logs('shop', 'prod'), { token });
      assert.deepEqual(lone.body.data, [{ id: 'spare.log' }]);
      await server.request('DELETE', orgPath(`/external_backends/${spare.id}`), { token });
      await post('/external_backends', defaultBackend());
    });

    it('reads entries in a time range from Elasticsearch, with the credential and prefilters applied', async () => {
      const res = await server.request('GET', logs('shop', 'prod', `/access.log?begin=${min(2)}&end=${min(3)}`), {
        token,
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, [
        { host: 'web-2', message: 'GET /cart 500 upstream timeout', timestamp: String(min(2)) },
        { host: 'web-1', message: 'GET /cart 200', timestamp: String(min(3)) },
      ]);
      const sent = es.requests.at(-1)!;
      assert.equal(sent.path.split('?')[0], '/web/_search');
      assert.equal(sent.headers.authorization, `Basic ${Buffer.from(`${ES_USER}:${ES_PASSWORD}`).toString('base64')}`);
      assert.match(JSON.stringify(sent.body), /"range"/);
    });

    it('merges the time range into a query string, and sends a query alone unchanged', async () => {
      const both = await server.request('GET', logs('shop', 'prod', `/access.log?begin=${min(1)}&query=cart`), {
        token,
      });
      assert.equal(both.status, 200, both.text);
      assert.deepEqual(
        both.body.data.map((e: any) => e.host),
        ['web-2', 'web-1'],
      );
      assert.match(JSON.stringify(es.requests.at(-1)!.body), /\(cart\) AND timestamp:\[/);
      const alone = await server.request('GET', logs('shop', 'prod', '/access.log?query=health'), { token });
      assert.deepEqual(
        alone.body.data.map((e: any) => e.message),
        ['GET /health 200'],
      );
      assert.doesNotMatch(JSON.stringify(es.requests.at(-1)!.body), /TO/);
    });

    it('refuses a request with neither range nor query (422), unknown sources (404) and unknown query parameters (400)', async () => {
      const neither = await server.request('GET', logs('shop', 'prod', '/access.log'), { token });
      assert.equal(neither.status, 422);
      const unknown = await server.request('GET', logs('shop', 'prod', '/nope.log?query=x'), { token });
      assert.equal(unknown.status, 404);
      const reversed = await server.request('GET', logs('shop', 'prod', `/access.log?begin=${min(3)}&end=${min(1)}`), {
        token,
      });
      assert.equal(reversed.status, 422);
      const extra = await server.request('GET', logs('shop', 'prod', '/access.log?query=x&size=5'), { token });
      assert.equal(extra.status, 400);
    });

    it('reads CloudWatch Logs through the SDK for a project-scoped backend, signed with the credential', async () => {
      const sources = await server.request('GET', logs('billing', 'prod'), { token });
      assert.equal(sources.status, 200, sources.text);
      assert.deepEqual(sources.body.data, [{ id: '/billing/prod/api' }]);
      const group = encodeURIComponent('/billing/prod/api');
      const entries = await server.request('GET', logs('billing', 'prod', `/${group}?begin=${min(0)}&end=${min(2)}`), {
        token,
      });
      assert.equal(entries.status, 200, entries.text);
      assert.deepEqual(entries.body.data, [{ host: 'i-0a', message: 'invoice 1 sent', timestamp: String(min(1)) }]);
      assert.match(String(cw.requests.at(-1)!.headers.authorization), new RegExp(`Credential=${AWS_ACCESS}/`));
      // A group of another project is not a source of this one, even when named directly.
      const foreign = await server.request(
        'GET',
        logs('billing', 'prod', `/${encodeURIComponent('/someone-else/prod/api')}?query=x`),
        { token },
      );
      assert.equal(foreign.status, 404);
    });

    it('reports a store refusing the credential as 502 without the secret; members read logs; others get 404', async () => {
      const update = await server.request('PUT', orgPath('/credentials/es-reader'), {
        token,
        body: {
          canonical: 'es-reader',
          name: 'ES reader',
          type: 'elasticsearch',
          path: 'logs/es',
          raw: { username: ES_USER, password: 'wrong-password-77' },
        },
      });
      assert.equal(update.status, 200, update.text);
      const refused = await server.request('GET', logs('shop', 'prod', '/access.log?query=cart'), { token });
      assert.equal(refused.status, 502, refused.text);
      assert.doesNotMatch(refused.text, /wrong-password-77|plum-heron/);
      await server.request('PUT', orgPath('/credentials/es-reader'), {
        token,
        body: {
          canonical: 'es-reader',
          name: 'ES reader',
          type: 'elasticsearch',
          path: 'logs/es',
          raw: { username: ES_USER, password: ES_PASSWORD },
        },
      });

      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      const asMember = await server.request('GET', logs('shop', 'prod', '/access.log?query=cart'), {
        token: sessionToken(server, member),
      });
      assert.equal(asMember.status, 200, asMember.text);
      const other = await tenant(server);
      const foreign = await server.request('GET', logs('shop', 'prod', '/access.log?query=cart'), {
        token: other.token,
      });
      assert.equal(foreign.status, 404);
      assert.doesNotMatch(foreign.text, /cart|web-/);
    });
  });
}

/** Elasticsearch over https, trusted through the credential's own certificate authority. */
describe('project environment logs over https with a private CA', () => {
  const tls = (name: string) => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), 'utf8');
  let server: TestServer;
  let es: FakeElasticsearch;
  let org: TestOrg;
  let token: string;
  const entries = () =>
    server.request(
      'GET',
      `/organizations/${org.canonical}/projects/shop/environments/prod/logs/sources/access.log?query=cart`,
      {
        token,
      },
    );
  const credential = (raw: Record<string, string>) =>
    server.request('PUT', `/organizations/${org.canonical}/credentials/es-tls`, {
      token,
      body: { canonical: 'es-tls', name: 'ES tls', type: 'elasticsearch', path: 'logs/es-tls', raw },
    });

  before(async () => {
    es = await startFakeElasticsearch({
      username: ES_USER,
      password: ES_PASSWORD,
      tls: { key: tls('server.key'), cert: tls('server.pem') },
    });
    es.index('web', [{ timestamp: min(2), hostname: 'web-2', message: 'GET /cart 200' }]);
    server = await startServer('sqlite');
    ({ org, token } = await tenant(server));
    await insertProjects(server, org, { shop: ['prod'] });
    const created = await server.request('POST', `/organizations/${org.canonical}/credentials`, {
      token,
      body: {
        name: 'ES tls',
        canonical: 'es-tls',
        type: 'elasticsearch',
        path: 'logs/es-tls',
        raw: { username: ES_USER, password: ES_PASSWORD, ca_cert: tls('ca.pem') },
      },
    });
    assert.equal(created.status, 200, created.text);
    const backend = await server.request('POST', `/organizations/${org.canonical}/external_backends`, {
      token,
      body: {
        purpose: 'logs',
        default: true,
        credential_canonical: 'es-tls',
        configuration: {
          engine: 'ElasticsearchLogs',
          version: '7',
          urls: [es.url],
          sources: { prod: { 'access.log': { index: 'web' } } },
        },
      },
    });
    assert.equal(backend.status, 200, backend.text);
  });
  after(async () => {
    await server.close();
    await es.close();
  });

  it('reads entries when the credential carries the CA, and refuses an untrusted certificate otherwise', async () => {
    const trusted = await entries();
    assert.equal(trusted.status, 200, trusted.text);
    assert.deepEqual(trusted.body.data, [{ host: 'web-2', message: 'GET /cart 200', timestamp: String(min(2)) }]);
    assert.equal((await credential({ username: ES_USER, password: ES_PASSWORD })).status, 200);
    const untrusted = await entries();
    assert.equal(untrusted.status, 502, untrusted.text);
    assert.doesNotMatch(untrusted.text, new RegExp(ES_PASSWORD));
  });
});
