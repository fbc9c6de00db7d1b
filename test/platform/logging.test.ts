import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
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
