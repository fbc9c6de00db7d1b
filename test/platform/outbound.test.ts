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

  it('accepts public, private and loopback addresses by default', () => {
    for (const url of ['https://es.example.com:9200', 'http://10.1.2.3:9200', 'http://127.0.0.1:9200/x']) {
      assert.equal(outboundUrlProblem(url, DEFAULT_OUTBOUND_POLICY), undefined, url);
    }
  });

  it('refuses other schemes, embedded credentials and garbage', () => {
    assert.match(outboundUrlProblem('file:///etc/passwd', DEFAULT_OUTBOUND_POLICY)!, /file URLs are not allowed/);
    assert.match(outboundUrlProblem('http://u:secret@host/', DEFAULT_OUTBOUND_POLICY)!, /must not embed credentials/);
    assert.doesNotMatch(outboundUrlProblem('http://u:secret@host/', DEFAULT_OUTBOUND_POLICY)!, /secret/);
    assert.match(outboundUrlProblem('not a url', DEFAULT_OUTBOUND_POLICY)!, /not a valid URL/);
  });

  it('adds operator networks: names and CIDR blocks', () => {
    const policy = parseOutboundPolicy('loopback, private, 203.0.113.0/24, 2001:db8::/32');
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
    const res = await outboundRequest(`${url}/echo`, { method: 'POST', body: 'hello' }, DEFAULT_OUTBOUND_POLICY);
    assert.equal(res.status, 201);
    assert.equal(res.body.toString(), 'hello');
    assert.equal(res.headers['x-echo'], 'POST');
  });

  it('refuses names that resolve into a denied network at connect time', async () => {
    const port = new URL(url).port;
    // CIDR blocks only: "localhost" passes the written-URL check and is refused once resolved.
    const policy = parseOutboundPolicy('127.0.0.0/8, ::1/128');
    assert.equal(outboundUrlProblem(`http://localhost:${port}/`, policy), undefined);
    await assert.rejects(
      outboundRequest(`http://localhost:${port}/`, {}, policy),
      (e: OutboundError) => e.kind === 'denied' && /resolves to/.test(e.message),
    );
    // The named network also refuses the name itself.
    await assert.rejects(
      outboundRequest(`http://localhost:${port}/`, {}, parseOutboundPolicy('loopback')),
      (e: OutboundError) => e.kind === 'denied',
    );
  });

  it('times out, caps the size and reports unreachable hosts without details', async () => {
    await assert.rejects(
      outboundRequest(`${url}/slow`, { timeoutMs: 100 }, DEFAULT_OUTBOUND_POLICY),
      (e: OutboundError) => e.kind === 'timeout',
    );
    await assert.rejects(
      outboundRequest(`${url}/big`, { maxResponseBytes: 100 }, DEFAULT_OUTBOUND_POLICY),
      (e: OutboundError) => e.kind === 'too-large',
    );
    await assert.rejects(
      outboundRequest('http://127.0.0.1:1/', {}, DEFAULT_OUTBOUND_POLICY),
      (e: OutboundError) => e.kind === 'network' && /ECONNREFUSED/.test(e.message),
    );
  });
});
