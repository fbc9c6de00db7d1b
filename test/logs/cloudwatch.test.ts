import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { belongsTo, cloudWatchEngine } from '../../src/modules/logs/cloudwatch.js';
import type { LogQuery } from '../../src/modules/logs/engine.js';
import { parseOutboundPolicy } from '../../src/platform/net/outbound.js';

// The test CloudWatch server listens on loopback, which the default policy refuses.
const LOOPBACK_ALLOWED = parseOutboundPolicy('', 'loopback');

import { type FakeCloudWatch, startFakeCloudWatch } from '../helpers/fake-cloudwatch.js';
import { rejectsWith } from '../helpers/upstream.js';

const ACCESS_KEY = 'AKIAFAKELOGS000001';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY01';
const T0 = Date.UTC(2024, 0, 1);
const sec = (n: number) => T0 + n * 1000;

describe('cloudwatch group naming rule', () => {
  it('accepts /<project>/<env>[/...] and <project>-<env>[-_/...] only', () => {
    for (const group of ['/shop/prod', '/shop/prod/api', 'shop-prod', 'shop-prod-db', 'shop-prod_x', 'shop-prod/y']) {
      assert.ok(belongsTo(group, 'shop', 'prod'), group);
    }
    for (const group of ['/shop/production', '/shop/prod2/api', 'shop-production', 'shop-staging', 'xshop-prod', '']) {
      assert.ok(!belongsTo(group, 'shop', 'prod'), group);
    }
  });
});

describe('cloudwatch log engine', () => {
  let cw: FakeCloudWatch;
  const credential = { access_key: ACCESS_KEY, secret_key: SECRET_KEY };
  const engine = (over: Partial<{ access_key: string; secret_key: string }> = {}, policy = LOOPBACK_ALLOWED) =>
    cloudWatchEngine(
      { region: 'eu-west-1' },
      { ...credential, ...over },
      { endpoint: cw.url, project: 'shop', policy },
    );
  const entries = (q: Partial<LogQuery>) => engine().entries('prod', { sourceId: '/shop/prod/api', limit: 100, ...q });

  before(async () => {
    // Small pages so that every listing and search goes through nextToken.
    cw = await startFakeCloudWatch({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, pageSize: 2 });
    for (const group of ['shop-prod', 'shop-prod-db', 'shop-production', '/shop/staging/api', 'other-prod']) {
      cw.addGroup(group);
    }
    cw.putEvents('/shop/prod/worker', 'worker-1', [{ timestamp: sec(1), message: 'job done' }]);
    cw.putEvents('/shop/prod/api', 'i-0a', [
      { timestamp: sec(1), message: 'GET /health 200' },
      { timestamp: sec(3), message: 'ERROR upstream timeout' },
      { timestamp: sec(5), message: '' },
      { timestamp: sec(6), message: 'GET /cart 200' },
    ]);
    cw.putEvents('/shop/prod/api', 'i-0b', [
      { timestamp: sec(2), message: 'ERROR db refused' },
      { timestamp: sec(4), message: 'GET /cart 500' },
    ]);
  });

  after(() => cw.close());

  it('lists the groups of the project environment, across pages', async () => {
    assert.deepEqual(await engine().sources('prod'), [
      { id: '/shop/prod/api' },
      { id: '/shop/prod/worker' },
      { id: 'shop-prod' },
      { id: 'shop-prod-db' },
    ]);
    const listings = cw.requests.filter((r) => r.target === 'DescribeLogGroups');
    assert.deepEqual([...new Set(listings.map((r) => r.body.logGroupNamePrefix))], ['/shop/prod', 'shop-prod']);
    assert.ok(
      listings.some((r) => r.body.nextToken),
      'expected a second page',
    );
    assert.deepEqual(await engine().sources('qa'), []);
  });

  it('filters events by time and pattern, signed with the credential, hosts from streams', async () => {
    const got = await entries({ begin: sec(2), end: sec(6), query: 'ERROR' });
    assert.deepEqual(got, [
      { host: 'i-0b', message: 'ERROR db refused', timestamp: String(sec(2)) },
      { host: 'i-0a', message: 'ERROR upstream timeout', timestamp: String(sec(3)) },
    ]);
    const before = cw.requests.length;
    await entries({ begin: sec(2), end: sec(6), query: 'ERROR' });
    const request = cw.requests[before]!;
    assert.equal(request.target, 'FilterLogEvents');
    assert.match(String(request.headers.authorization), new RegExp(`Credential=${ACCESS_KEY}/\\d{8}/eu-west-1/logs/`));
    assert.deepEqual(request.body, {
      logGroupName: '/shop/prod/api',
      startTime: sec(2),
      endTime: sec(6),
      filterPattern: 'ERROR',
      limit: 100,
    });
  });

  it('pages up to the limit and skips empty messages', async () => {
    const all = await entries({ begin: sec(0) });
    assert.deepEqual(
      all.map((e) => e.message),
      ['GET /health 200', 'ERROR db refused', 'ERROR upstream timeout', 'GET /cart 500', 'GET /cart 200'],
    );
    const before = cw.requests.length;
    const three = await entries({ begin: sec(0), limit: 3 });
    assert.equal(three.length, 3);
    assert.deepEqual(
      cw.requests.slice(before).map((r) => r.body.limit),
      [3, 1],
    );
  });

  it('sends a braced pattern unchanged and passes the refusal on as 502', async () => {
    const pattern = '{ $.level = "error" }';
    await rejectsWith(entries({ query: pattern, begin: sec(0) }), 502, /400 InvalidParameterException/);
    assert.equal(cw.requests.at(-1)!.body.filterPattern, pattern);
  });

  it('answers 404 for groups outside the environment (without asking) and for missing groups', async () => {
    const before = cw.requests.length;
    await rejectsWith(entries({ sourceId: 'other-prod', begin: 1 }), 404, /log source 'other-prod'/);
    await rejectsWith(entries({ sourceId: '/shop/staging/api', begin: 1 }), 404, /not found/);
    assert.equal(cw.requests.length, before);
    await rejectsWith(entries({ sourceId: '/shop/prod/gone', begin: 1 }), 404, /log source '\/shop\/prod\/gone'/);
  });

  it('answers 422 with neither range nor query', async () => {
    await rejectsWith(entries({}), 422, /time range/);
  });

  it('answers 502 on refused credentials, without the secret', async () => {
    const unknown = await rejectsWith(
      engine({ access_key: 'AKIAUNKNOWN0000000' }).sources('prod'),
      502,
      /UnrecognizedClientException/,
    );
    const badSecret = await rejectsWith(
      engine({ secret_key: 'not-the-secret-key' }).entries('prod', { sourceId: 'shop-prod', begin: 1, limit: 1 }),
      502,
      /InvalidSignatureException/,
    );
    for (const error of [unknown, badSecret]) {
      assert.doesNotMatch(error.message, /not-the-secret-key|wJalrXUtnFEMI/);
    }
  });

  it('refuses an endpoint the policy denies, and reports unreachable or silent ones', async () => {
    await rejectsWith(engine({}, parseOutboundPolicy('loopback')).sources('prod'), 422, /endpoint is refused/);

    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const silent = cloudWatchEngine({ region: 'eu-west-1' }, credential, {
        endpoint: url,
        project: 'shop',
        policy: LOOPBACK_ALLOWED,
        timeoutMs: 150,
      });
      await rejectsWith(silent.sources('prod'), 504, /in time/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const closed = cloudWatchEngine({ region: 'eu-west-1' }, credential, {
      endpoint: url,
      project: 'shop',
      policy: LOOPBACK_ALLOWED,
    });
    await rejectsWith(closed.sources('prod'), 502, /could not be reached at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('checks the address a host name resolves to when connecting', async (t) => {
    // The machine's own name resolves without outside DNS; the policy then denies exactly that address.
    const name = hostname();
    const resolved = await lookup(name).catch(() => undefined);
    if (!resolved) return t.skip(`${name} does not resolve here`);
    const policy = parseOutboundPolicy(resolved.address);
    const guarded = cloudWatchEngine({ region: 'eu-west-1' }, credential, {
      endpoint: `http://${name}:9`,
      project: 'shop',
      policy,
    });
    await rejectsWith(
      guarded.sources('prod'),
      422,
      new RegExp(`resolves to ${resolved.address.replace(/\./g, '\\.')}`),
    );
  });

  it('refuses a backend without region or a credential without keys', async () => {
    const noRegion = cloudWatchEngine({ region: '' }, credential, { project: 'shop', policy: LOOPBACK_ALLOWED });
    await rejectsWith(noRegion.sources('prod'), 422, /region/);
    await rejectsWith(engine({ secret_key: '' }).sources('prod'), 422, /access_key and secret_key/);
  });
});
