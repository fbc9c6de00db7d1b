import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_OUTBOUND_POLICY,
  isDeniedAddress,
  type OutboundError,
  outboundRequest,
  outboundUrlProblem,
  parseOutboundPolicy,
  type Resolver,
} from '../../src/platform/net/outbound.js';

describe('outbound policy', () => {
  it('refuses cloud metadata and other never-legitimate addresses by default, in every spelling', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/', // decimal form of 169.254.169.254
      'http://0xa9fea9fe/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]/',
      'http://0.0.0.0:9200/',
      'http://224.0.0.1/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://100.100.100.200/latest/meta-data/',
    ]) {
      assert.ok(outboundUrlProblem(url, DEFAULT_OUTBOUND_POLICY), url);
    }
  });

  it('accepts public addresses and refuses loopback and private ones by default, in every spelling', () => {
    assert.equal(outboundUrlProblem('https://es.example.com:9200', DEFAULT_OUTBOUND_POLICY), undefined);
    assert.equal(outboundUrlProblem('http://93.184.216.34/', DEFAULT_OUTBOUND_POLICY), undefined);
    for (const url of [
      'http://127.0.0.1:9200/x',
      'http://localhost:9200/',
      'http://2130706433/', // decimal 127.0.0.1
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/', // IPv4-mapped (WHATWG writes it ::ffff:7f00:1)
      'http://[::ffff:10.1.2.3]/',
      'http://[::127.0.0.1]/', // IPv4-compatible
      'http://[64:ff9b::a9fe:a9fe]/', // NAT64 of 169.254.169.254
      'http://[64:ff9b::7f00:1]/', // NAT64 of 127.0.0.1
      'http://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
      'http://[2002:a9fe:a9fe::1]/', // 6to4 of 169.254.169.254
      'http://10.1.2.3:9200',
      'http://192.168.1.1/',
      'http://[fd12::1]/',
    ]) {
      assert.ok(outboundUrlProblem(url, DEFAULT_OUTBOUND_POLICY), url);
    }
  });

  it('GANTRY_OUTBOUND_ALLOW opens loopback, private and CIDR blocks, never metadata', () => {
    const policy = parseOutboundPolicy('', 'loopback, private, 198.18.0.0/15');
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', '::ffff:10.1.2.3', '198.18.0.1']) {
      assert.ok(!isDeniedAddress(address, policy), address);
    }
    assert.equal(outboundUrlProblem('http://localhost:9200/', policy), undefined);
    assert.ok(isDeniedAddress('169.254.169.254', policy));
    assert.ok(isDeniedAddress('64:ff9b::a9fe:a9fe', policy));
    assert.throws(() => parseOutboundPolicy('', 'metadata'), /can never be allowed/);
    assert.throws(() => parseOutboundPolicy('', 'link-local'), /can never be allowed/);
    const onlyPrivate = parseOutboundPolicy('', 'private');
    assert.ok(isDeniedAddress('127.0.0.1', onlyPrivate));
    assert.ok(!isDeniedAddress('172.20.0.5', onlyPrivate));
  });

  it('refuses other schemes, embedded credentials and garbage', () => {
    assert.match(outboundUrlProblem('file:///etc/passwd', DEFAULT_OUTBOUND_POLICY)!, /file URLs are not allowed/);
    assert.match(outboundUrlProblem('http://u:secret@host/', DEFAULT_OUTBOUND_POLICY)!, /must not embed credentials/);
    assert.doesNotMatch(outboundUrlProblem('http://u:secret@host/', DEFAULT_OUTBOUND_POLICY)!, /secret/);
    assert.match(outboundUrlProblem('not a url', DEFAULT_OUTBOUND_POLICY)!, /not a valid URL/);
  });

  it('adds operator networks: names and CIDR blocks', () => {
    const policy = parseOutboundPolicy('203.0.113.0/24, 2001:db8::/32');
    assert.ok(isDeniedAddress('127.0.0.1', policy));
    assert.ok(isDeniedAddress('::1', policy));
    assert.ok(isDeniedAddress('172.20.0.5', policy));
    assert.ok(isDeniedAddress('203.0.113.9', policy));
    assert.ok(isDeniedAddress('2001:db8::5', policy));
    assert.ok(isDeniedAddress('169.254.169.254', policy), 'the defaults stay');
    assert.ok(!isDeniedAddress('198.51.100.1', policy));
    assert.ok(outboundUrlProblem('http://localhost:9200', policy));
    assert.throws(() => parseOutboundPolicy('intranet'), /neither a network name/);
    assert.throws(() => parseOutboundPolicy('10.0.0.0/40'), /invalid prefix/);
  });
});

// The test server listens on loopback, which the default policy refuses.
const LOOPBACK_ALLOWED = parseOutboundPolicy('', 'loopback');

describe('outbound requests', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      if (req.url === '/big') return res.end(Buffer.alloc(4096));
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => res.writeHead(201, { 'x-echo': req.method }).end(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends and receives', async () => {
    const res = await outboundRequest(`${url}/echo`, { method: 'POST', body: 'hello' }, LOOPBACK_ALLOWED);
    assert.equal(res.status, 201);
    assert.equal(res.body.toString(), 'hello');
    assert.equal(res.headers['x-echo'], 'POST');
  });

  it('refuses a name that resolved to a public address when checked and to a private one when connecting', async () => {
    const port = new URL(url).port;
    // A rebinding resolver: the first answer is public, every later one the server's own loopback.
    let answers = 0;
    const resolver: Resolver = (_name, _options, callback) =>
      callback(null, [answers++ === 0 ? { address: '93.184.216.34', family: 4 } : { address: '127.0.0.1', family: 4 }]);
    const target = `http://rebind.example.test:${port}/`;
    assert.equal(outboundUrlProblem(target, DEFAULT_OUTBOUND_POLICY), undefined, 'the written URL is a public name');
    resolver('rebind.example.test', { all: true }, () => {}); // what a check at write time would have seen
    await assert.rejects(
      outboundRequest(target, { resolver }, DEFAULT_OUTBOUND_POLICY),
      (e: OutboundError) => e.kind === 'denied' && /resolves to 127\.0\.0\.1/.test(e.message),
    );
    // A NAT64 answer for the metadata address is refused the same way.
    const nat64: Resolver = (_name, _options, callback) =>
      callback(null, [{ address: '64:ff9b::a9fe:a9fe', family: 6 }]);
    await assert.rejects(
      outboundRequest(target, { resolver: nat64 }, LOOPBACK_ALLOWED),
      (e: OutboundError) => e.kind === 'denied',
    );
    // The named network refuses the name itself, before any resolution.
    await assert.rejects(
      outboundRequest(`http://localhost:${port}/`, {}, DEFAULT_OUTBOUND_POLICY),
      (e: OutboundError) => e.kind === 'denied',
    );
  });

  it('does not follow a redirect (to the metadata service or anywhere)', async () => {
    const redirecting = createServer((_req, res) =>
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    try {
      const res = await outboundRequest(
        `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/`,
        {},
        LOOPBACK_ALLOWED,
      );
      assert.equal(res.status, 302, 'the redirect is handed back, not followed');
    } finally {
      redirecting.close();
    }
  });

  it('times out, caps the size and reports unreachable hosts without details', async () => {
    await assert.rejects(
      outboundRequest(`${url}/slow`, { timeoutMs: 100 }, LOOPBACK_ALLOWED),
      (e: OutboundError) => e.kind === 'timeout',
    );
    await assert.rejects(
      outboundRequest(`${url}/big`, { maxResponseBytes: 100 }, LOOPBACK_ALLOWED),
      (e: OutboundError) => e.kind === 'too-large',
    );
    await assert.rejects(
      outboundRequest('http://127.0.0.1:1/', {}, LOOPBACK_ALLOWED),
      (e: OutboundError) => e.kind === 'network' && /ECONNREFUSED/.test(e.message),
    );
  });
});
