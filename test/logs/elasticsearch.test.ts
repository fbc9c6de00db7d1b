import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ElasticsearchLogsConfig, elasticsearchEngine } from '../../src/modules/logs/elasticsearch.js';
import type { LogQuery } from '../../src/modules/logs/engine.js';
import { parseOutboundPolicy } from '../../src/platform/net/outbound.js';

// The test Elasticsearch server listens on loopback, which the default policy refuses.
const LOOPBACK_ALLOWED = parseOutboundPolicy('', 'loopback');

import { type FakeElasticsearch, startFakeElasticsearch } from '../helpers/fake-elasticsearch.js';
import { closedPort, rejectsWith } from '../helpers/upstream.js';

const USER = 'logreader';
const PASSWORD = 'amber-otter-92';
const T0 = Date.UTC(2024, 0, 1);
const min = (n: number) => T0 + n * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('elasticsearch log engine', () => {
  let es: FakeElasticsearch;
  let config: ElasticsearchLogsConfig;
  const credential = { username: USER, password: PASSWORD };
  const engine = () => elasticsearchEngine(config, credential, LOOPBACK_ALLOWED);
  const entries = (q: Partial<LogQuery>, env = 'prod') =>
    engine().entries(env, { sourceId: 'access.log', limit: 100, ...q });
  const lastBody = () => es.requests.at(-1)?.body;

  before(async () => {
    es = await startFakeElasticsearch({ username: USER, password: PASSWORD });
    es.index('web', [
      { timestamp: iso(min(3)), hostname: 'web-2', message: 'GET /cart 500 upstream timeout', env: 'prod' },
      { timestamp: min(1), hostname: 'web-1', message: 'GET /health 200', env: 'prod' },
      { timestamp: iso(min(2)), hostname: 'web-1', message: 'GET /cart 200', env: 'prod' },
      { timestamp: min(2), hostname: 'web-9', message: 'GET /cart 500 upstream timeout', env: 'staging' },
      { timestamp: min(4) / 1000, hostname: '', message: 'POST /pay 502 bad gateway', env: 'prod' },
      { timestamp: iso(min(5)), hostname: 'web-1', message: '', env: 'prod' },
    ]);
    es.index('apps', [
      { '@timestamp': iso(min(1)), host: { name: 'api-1' }, 'log.message': 'booted', service: 'api' },
      { '@timestamp': iso(min(2)), 'host.name': 'api-2', log: { message: 'ready' }, service: 'api' },
      { '@timestamp': iso(min(3)), host: { name: 'job-1' }, log: { message: 'ignored' }, service: 'jobs' },
    ]);
    config = {
      urls: [es.url],
      version: '7',
      sources: {
        prod: {
          'access.log': {
            index: 'web',
            mapping: { host: 'hostname', message: 'message', timestamp: 'timestamp' },
            prefilters: { env: 'prod' },
          },
          'api.log': {
            index: 'app*',
            mapping: { host: 'host.name', message: 'log.message', timestamp: '@timestamp' },
            prefilters: [{ term: { service: 'api' } }],
          },
          'missing.log': { index: 'nope', mapping: { host: 'h', message: 'm', timestamp: 't' } },
        },
        staging: { 'access.log': { index: 'web' } },
      },
    };
  });

  after(() => es.close());

  it('lists the sources of an environment, sorted, and none for other names', async () => {
    assert.deepEqual(await engine().sources('prod'), [{ id: 'access.log' }, { id: 'api.log' }, { id: 'missing.log' }]);
    assert.deepEqual(await engine().sources('qa'), []);
    assert.deepEqual(await engine().sources('constructor'), []);
  });

  it('searches with a Lucene query and the time range, in time order, mapped', async () => {
    const got = await entries({ query: 'GET', begin: min(2), end: min(3) });
    assert.deepEqual(got, [
      { host: 'web-1', message: 'GET /cart 200', timestamp: String(min(2)) },
      { host: 'web-2', message: 'GET /cart 500 upstream timeout', timestamp: String(min(3)) },
    ]);
    const request = es.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/web/_search');
    assert.equal(request.headers.authorization, `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    assert.deepEqual(request.body.query, {
      bool: {
        must: [{ query_string: { query: `(GET) AND timestamp:[${min(2)} TO ${min(3)}]` } }],
        filter: [{ term: { env: 'prod' } }],
      },
    });
    assert.equal(request.body.size, 100);
  });

  it('puts the range beside a JSON query clause', async () => {
    const query = JSON.stringify({ match: { message: 'timeout' } });
    const got = await entries({ query, begin: min(0) });
    assert.deepEqual(
      got.map((e) => e.host),
      ['web-2'],
    );
    assert.deepEqual(lastBody().query.bool.must[0].bool.filter, [
      { range: { timestamp: { gte: min(0), format: 'epoch_millis' } } },
    ]);
  });

  it('sends a query unchanged when there is no range', async () => {
    const got = await entries({ query: 'message:"bad gateway"' });
    assert.equal(got.length, 1);
    assert.deepEqual(lastBody().query.bool.must, [{ query_string: { query: 'message:"bad gateway"' } }]);
  });

  it('reads epoch seconds, substitutes an empty host and skips empty messages', async () => {
    // (an epoch_second date field: the fake has no mappings, so no range here)
    const got = await entries({ query: 'pay OR hostname:web-1' });
    assert.deepEqual(got[0], { host: '-', message: 'POST /pay 502 bad gateway', timestamp: String(min(4)) });
    assert.deepEqual(
      got.map((e) => e.message),
      ['POST /pay 502 bad gateway', 'GET /health 200', 'GET /cart 200'],
    );
  });

  it('honours the limit', async () => {
    const got = await entries({ begin: min(0), limit: 2 });
    assert.deepEqual(
      got.map((e) => e.timestamp),
      [String(min(1)), String(min(2))],
    );
    assert.equal(lastBody().size, 2);
  });

  it('maps dotted paths, nested or literal, through an index pattern', async () => {
    const got = await engine().entries('prod', { sourceId: 'api.log', begin: min(0), limit: 10 });
    assert.deepEqual(got, [
      { host: 'api-1', message: 'booted', timestamp: String(min(1)) },
      { host: 'api-2', message: 'ready', timestamp: String(min(2)) },
    ]);
    assert.equal(es.requests.at(-1)!.path, '/app*/_search');
  });

  it('answers 404 for an unknown source and 422 before asking for nothing', async () => {
    const before = es.requests.length;
    await rejectsWith(entries({ sourceId: 'nope.log', begin: 1 }), 404, /log source 'nope.log' not found/);
    await rejectsWith(entries({ sourceId: 'toString', begin: 1 }), 404, /not found/);
    await rejectsWith(entries({}), 422, /time range/);
    assert.equal(es.requests.length, before);
  });

  it('refuses unsupported versions and sources without URLs', async () => {
    const v6 = elasticsearchEngine({ ...config, version: '6' }, credential, LOOPBACK_ALLOWED);
    await rejectsWith(v6.entries('prod', { sourceId: 'access.log', begin: 1, limit: 1 }), 422, /version '6'/);
    const none = elasticsearchEngine({ ...config, urls: [] }, credential, LOOPBACK_ALLOWED);
    await rejectsWith(
      none.entries('prod', { sourceId: 'access.log', begin: 1, limit: 1 }),
      422,
      /no elasticsearch URL/,
    );
  });

  it('passes Elasticsearch errors on as 502 without the password', async () => {
    const wrong = elasticsearchEngine(config, { username: USER, password: 'nope-nope' }, LOOPBACK_ALLOWED);
    const error = await rejectsWith(
      wrong.entries('prod', { sourceId: 'access.log', begin: 1, limit: 1 }),
      502,
      /401: security_exception: unable to authenticate user/,
    );
    assert.doesNotMatch(error.message, /nope-nope/);
    await rejectsWith(entries({ query: 'message:time~2' }), 502, /400: parsing_exception: Failed to parse query/);
    await rejectsWith(entries({ sourceId: 'missing.log', begin: 1 }), 502, /404: index_not_found_exception/);
    await rejectsWith(entries({ query: '{"fuzzy": {"message": "x"}}' }), 502, /unknown query \[fuzzy\]/);
  });

  it('does not echo what a server that is not Elasticsearch answers', async () => {
    const other = createServer((_req, res) =>
      res.writeHead(500, { 'content-type': 'text/html' }).end('<html>internal admin page: db=prod-7 token=abc</html>'),
    );
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const engine = elasticsearchEngine({ ...config, urls: [url] }, credential, LOOPBACK_ALLOWED);
      const error = await rejectsWith(
        engine.entries('prod', { sourceId: 'access.log', begin: 1, limit: 1 }),
        502,
        /answered 500: not an Elasticsearch error \(\d+ bytes not shown\)/,
      );
      assert.doesNotMatch(error.message, /admin page|prod-7/);
    } finally {
      other.close();
    }
  });

  it('moves on to the next URL when one cannot be reached; source URLs override', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const failover = elasticsearchEngine({ ...config, urls: [dead, es.url] }, credential, LOOPBACK_ALLOWED);
    assert.equal((await failover.entries('prod', { sourceId: 'access.log', begin: min(3), limit: 5 })).length, 1);

    const overridden: ElasticsearchLogsConfig = structuredClone(config);
    overridden.urls = [es.url];
    overridden.sources.prod!['access.log']!.urls = [dead];
    const down = elasticsearchEngine(overridden, credential, LOOPBACK_ALLOWED);
    await rejectsWith(
      down.entries('prod', { sourceId: 'access.log', begin: 1, limit: 1 }),
      502,
      /could not be reached: 127\.0\.0\.1 could not be reached \(ECONNREFUSED\)/,
    );
  });

  it('answers 422 naming the host when the policy denies it', async () => {
    const strict = elasticsearchEngine(config, credential, parseOutboundPolicy('loopback'));
    const error = await rejectsWith(
      strict.entries('prod', { sourceId: 'access.log', begin: 1, limit: 1 }),
      422,
      /host '127\.0\.0\.1' refused/,
    );
    assert.doesNotMatch(error.message, new RegExp(PASSWORD));
  });

  it('answers 504 when Elasticsearch does not answer in time', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    try {
      const slow = elasticsearchEngine(
        { ...config, urls: [`http://127.0.0.1:${port}`] },
        credential,
        LOOPBACK_ALLOWED,
        {
          timeoutMs: 200,
        },
      );
      await rejectsWith(slow.entries('prod', { sourceId: 'access.log', begin: 1, limit: 1 }), 504, /in time/);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('fake elasticsearch', () => {
  let es: FakeElasticsearch;
  before(async () => {
    es = await startFakeElasticsearch();
    es.index('i', [
      { ts: 1, m: 'disk full on sda', level: 'error', n: 5 },
      { ts: 2, m: 'disk ok', level: 'info', n: 50 },
    ]);
  });
  after(() => es.close());

  const search = async (body: unknown) => {
    const res = await fetch(`${es.url}/i/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const ids = async (query: unknown) => (await search({ query })).json.hits.hits.map((h: any) => h._source.ts);

  it('evaluates what it understands', async () => {
    assert.deepEqual(await ids({ query_string: { query: 'disk AND NOT level:info' } }), [1]);
    assert.deepEqual(await ids({ query_string: { query: '"disk ok" OR n:[40 TO *]' } }), [2]);
    assert.deepEqual(await ids({ query_string: { query: 'full ok' } }), [1, 2]);
    assert.deepEqual(await ids({ query_string: { query: 'dis' } }), []);
    assert.deepEqual(
      await ids({ bool: { should: [{ term: { level: 'info' } }], must_not: [{ match: { m: 'full' } }] } }),
      [2],
    );
    assert.deepEqual(await ids({ range: { n: { gte: 6 } } }), [2]);
  });

  it('refuses what it does not understand, as Elasticsearch does', async () => {
    for (const query of [
      { wildcard: { m: 'd*' } },
      { query_string: { query: 'm:d?sk' } },
      { query_string: { query: '(a' } },
    ]) {
      const { status, json } = await search({ query });
      assert.equal(status, 400, JSON.stringify(query));
      assert.equal(json.error.type, 'parsing_exception');
      assert.equal(json.status, 400);
    }
    assert.equal((await search({ query: { match_all: {} }, aggs: {} })).status, 400);
  });
});
