import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tenant } from '../helpers/factories.js';
import { startServer, type TestServer, testEngines } from '../helpers/server.js';

// POST /user/login is public and takes a body, so input handling is reached without a token.
const LOGIN = '/user/login';

for (const engine of testEngines()) {
  describe(`bad input gets a clear 4xx naming the problem (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());

    const expectError = async (
      res: Promise<{ status: number; body: any }>,
      status: number,
      code: string,
      message: RegExp,
    ) => {
      const { status: actual, body } = await res;
      assert.equal(actual, status, JSON.stringify(body));
      assert.equal(body.errors[0].code, code);
      assert.match(body.errors[0].message, message);
    };

    it('malformed JSON', () =>
      expectError(
        server.request('POST', LOGIN, { raw: '{"email": ', headers: { 'content-type': 'application/json' } }),
        400,
        'BadRequest',
        /malformed JSON/,
      ));

    it('wrong types name the field', () =>
      expectError(
        server.request('POST', LOGIN, { body: { email: 42, password: 'long-enough' } }),
        400,
        'BadRequest',
        /body\.email: must be string/,
      ));

    it('NUL characters, deep nesting, long arrays and unsafe integers are a 400 naming the place', async () => {
      const { org, token } = await tenant(server);
      const teams = `/organizations/${org.canonical}/teams`;
      const cases: Array<[unknown, RegExp]> = [
        [{ name: 'nul\u0000name', roles_canonical: ['organization-member'] }, /body\.name: must not contain NUL/],
        [
          { name: 'Many roles', roles_canonical: Array.from({ length: 100_000 }, (_, i) => `r${i}`) },
          /at most 1000 items/,
        ],
        [{ name: 'Huge', roles_canonical: ['organization-member'], owner: 2 ** 60 }, /integers must be between/],
      ];
      for (const [body, message] of cases) {
        const res = await server.request('POST', teams, { token, body });
        assert.equal(res.status, 400, res.text.slice(0, 300));
        assert.match(res.body.errors[0].message, message);
      }
      // Written as text: JSON.stringify itself cannot nest 10,000 levels.
      const deep = `${'{"d":'.repeat(10_000)}"bottom"${'}'.repeat(10_000)}`;
      const nested = await server.request('POST', teams, {
        raw: `{"name":"Deep","roles_canonical":[],"x":${deep}}`,
        headers: { 'content-type': 'application/json' },
        token,
      });
      assert.equal(nested.status, 400);
      assert.match(nested.body.errors[0].message, /nested deeper than 64/);
      const query = await server.request('GET', `${teams}?team_name=a%00b`, { token });
      assert.equal(query.status, 400);
      assert.match(query.body.errors[0].message, /query\.team_name: must not contain NUL/);
      const path = await server.request('GET', `${teams}/a%00b`, { token });
      assert.equal(path.status, 400);
      const list = await server.request('GET', teams, { token });
      assert.equal(list.body.pagination.total, 0, 'nothing was written');
    });

    it('unknown body fields are refused, not ignored', () =>
      expectError(
        server.request('POST', LOGIN, { body: { email: 'a@example.com', password: 'long-enough', admin: true } }),
        400,
        'BadRequest',
        /unknown field 'admin'/,
      ));

    it('missing required fields are named', () =>
      expectError(
        server.request('POST', '/user/reset_password', { body: {} }),
        400,
        'BadRequest',
        /missing required field 'email'/,
      ));

    it('an oversize body is a 413', () =>
      expectError(
        server.request('POST', LOGIN, { body: { email: 'a@example.com', password: 'x'.repeat(2 * 1024 * 1024) } }),
        413,
        'PayloadTooLarge',
        /too large/,
      ));

    it('an unsupported media type is a 415', () =>
      expectError(
        server.request('POST', LOGIN, { raw: '<xml/>', headers: { 'content-type': 'application/xml' } }),
        415,
        'UnsupportedMediaType',
        /content type/,
      ));

    it('form-encoded bodies are accepted and validated like JSON', () =>
      expectError(
        server.request('POST', LOGIN, {
          raw: 'email=a%40example.com&password=short',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        400,
        'BadRequest',
        /body\.password/,
      ));

    it('the vendor JSON media type is parsed as JSON', () =>
      expectError(
        server.request('POST', LOGIN, {
          raw: '{"email":"a@example.com","password":"long-enough","x":1}',
          headers: { 'content-type': 'application/vnd.cycloid.io.v1+json' },
        }),
        400,
        'BadRequest',
        /unknown field 'x'/,
      ));

    it('non-numeric and out-of-range paging is refused', async () => {
      await expectError(
        server.request('GET', '/countries?page_index=abc'),
        400,
        'BadRequest',
        /page_index: must be integer/,
      );
      await expectError(server.request('GET', '/countries?page_size=0'), 400, 'BadRequest', /page_size: must be >= 1/);
      await expectError(
        server.request('GET', '/countries?per_page=1001'),
        400,
        'BadRequest',
        /page_size: must be <= 1000/,
      );
      await expectError(server.request('GET', '/countries?page=2&page_index=3'), 400, 'BadRequest', /disagree/);
      assert.equal((await server.request('GET', '/countries?page=1&per_page=10')).status, 200);
    });

    it('paging bounds hold where the contract declares its own paging parameters', async () => {
      const { token } = await tenant(server);
      for (const query of ['page_index=0', 'page_size=0', 'page_size=5000', 'page_index=-1']) {
        const res = await server.request('GET', `/organizations?${query}`, { token });
        assert.equal(res.status, 400, `${query}: ${res.text}`);
      }
    });

    it('unknown query parameters are refused but token carriers are accepted everywhere', async () => {
      await expectError(server.request('GET', '/version?debug=1'), 400, 'BadRequest', /unknown parameter 'debug'/);
      assert.equal((await server.request('GET', '/version?api_key=whatever')).status, 401);
      assert.equal((await server.request('GET', '/version')).status, 200);
    });

    it('a body on an operation that takes none is refused', () =>
      expectError(
        server.request('PUT', '/user/email/verification/some-token', {
          raw: '{"a":1}',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'BadRequest',
        /takes no request body/,
      ));

    it('a JSON content type with an empty body is no body: bodiless calls work, required bodies are named', async () => {
      const { org, token } = await tenant(server);
      const json = { 'content-type': 'application/json' };
      const created = await server.request('POST', `/organizations/${org.canonical}/teams`, {
        token,
        body: { name: 'Empty Body', roles_canonical: ['organization-member'] },
      });
      assert.equal(created.status, 200, created.text);
      const path = `/organizations/${org.canonical}/teams/${created.body.data.canonical}`;
      const read = await server.request('GET', path, { token, headers: json });
      assert.equal(read.status, 200, read.text);
      const removed = await server.request('DELETE', path, { token, raw: '', headers: json });
      assert.equal(removed.status, 204, removed.text);
      assert.equal((await server.request('GET', path, { token })).status, 404);
      await expectError(
        server.request('POST', `/organizations/${org.canonical}/teams`, { token, raw: ' \n', headers: json }),
        400,
        'BadRequest',
        /body: a JSON request body is required/,
      );
    });

    it('protected operations need a token, and a bad token is a 401', async () => {
      await expectError(server.request('GET', '/organizations'), 401, 'Unauthorized', /authentication required/);
      await expectError(
        server.request('GET', '/organizations', { token: 'not-a-token' }),
        401,
        'Unauthorized',
        /invalid/,
      );
      await expectError(
        server.request('GET', '/organizations', { headers: { 'x-api-key': 'not-a-token' } }),
        401,
        'Unauthorized',
        /invalid/,
      );
    });
  });
}
