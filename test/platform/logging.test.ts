import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createRequestLine, createRequestLogger } from '../../src/platform/log.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('logs never contain tokens', () => {
  const lines: string[] = [];
  let server: TestServer;
  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    server = await startServer('sqlite', { logDestination: sink });
  });
  after(() => server.close());

  it('redacts tokens from headers and query strings in request and error logs', async () => {
    await server.request('GET', '/organizations?api_key=QUERYSECRET1&page=1', {
      headers: { authorization: 'Bearer HEADERSECRET2' },
    });
    await server.request('GET', '/organizations?access_token=QUERYSECRET3');
    await server.request('GET', '/version', { headers: { 'x-api-key': 'HEADERSECRET4' } });
    await server.request('GET', '/nowhere?api_key=QUERYSECRET5');
    await server.request('PUT', '/user/email/verification/PATHSECRET8');
    await server.request('GET', '/api/members/verify/PATHSECRET9');
    server.app.logger.info({ password: 'PLAINSECRET6', nested: { token: 'PLAINSECRET7' } }, 'domain log');
    await new Promise((resolve) => setTimeout(resolve, 50));

    const all = lines.join('\n');
    assert.ok(lines.length >= 5, 'request lines were logged');
    assert.match(all, /api_key=\[REDACTED\]/);
    for (const secret of [
      'QUERYSECRET1',
      'HEADERSECRET2',
      'QUERYSECRET3',
      'HEADERSECRET4',
      'QUERYSECRET5',
      'PLAINSECRET6',
      'PLAINSECRET7',
    ]) {
      assert.ok(!all.includes(secret), `${secret} leaked into the logs`);
    }
    const request = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request' && l.req?.url?.startsWith('/organizations'));
    assert.equal(request.status, 401);
    assert.ok(request.req.request_id);
  });
});

describe('the request line', () => {
  const sink = (lines: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });

  it('is the line pino writes for the same request (fields, order, escaping, redaction), time aside', async () => {
    const fromPino: string[] = [];
    const written: string[] = [];
    const config = { logLevel: 'info' as const, logPretty: false };
    const logger = createRequestLogger(config, sink(fromPino));
    const line = createRequestLine(config, sink(written))!;
    const requests = [
      { method: 'GET', url: '/version', id: 'b8f0c7a2-1d2e-4f3a-9b8c-7d6e5f4a3b2c' },
      { method: 'POST', url: '/organizations/a"b\\c/teams?api_key=SECRET&x=é\u2028', id: 'client-id_1' },
    ];
    for (const request of requests) {
      logger.info({ req: request, status: 201, ms: 3 }, 'request');
      line(request, 201, 3);
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(written.length, requests.length);
    for (let i = 0; i < requests.length; i++) {
      const [a, b] = [JSON.parse(fromPino[i]!), JSON.parse(written[i]!)];
      assert.ok(Math.abs(a.time - b.time) < 1000);
      delete a.time;
      delete b.time;
      assert.deepEqual(Object.keys(b), Object.keys(a));
      assert.deepEqual(b, a);
    }
    assert.ok(!written.join('\n').includes('SECRET'));
  });

  it('is not written above the info level', () => {
    assert.equal(createRequestLine({ logLevel: 'warn', logPretty: false }), undefined);
  });
});
