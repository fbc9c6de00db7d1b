import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendOfToken } from '../src/modules/external-backends/machine-token.js';
import { JwtSigner } from '../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../src/platform/crypto/keys.js';
import { type TestOrg, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

/** One remote-state backend per project: the project is the URL's last segment. */
const stateBackend = (url: string) => ({
  purpose: 'remote_tfstate',
  project_canonical: url.split('/').pop(),
  configuration: { engine: 'HTTPStorage', url },
});

/**
 * The machine token of a remote-state backend (what Terraform's HTTP backend presents): rotated on
 * request, dead with its backend. Backends are managed over HTTP; the token is checked with the
 * module's own verifier, the one the state endpoints use.
 */
for (const engine of testEngines()) {
  describe(`external backend machine token (${engine})`, () => {
    let server: TestServer;
    let org: TestOrg;
    let token: string;
    let signer: JwtSigner;
    before(async () => {
      server = await startServer(engine);
      ({ org, token } = await tenant(server));
      signer = new JwtSigner(loadSigningKey(server.config.dataDir, server.config.jwtSecret));
    });
    after(() => server.close());

    const path = (suffix = '') => `/organizations/${org.canonical}/external_backends${suffix}`;
    const accepted = async (jwt: string) => (await backendOfToken(server.database.db, signer, jwt))?.id;

    async function created(url: string): Promise<{ id: number; jwt: string }> {
      const res = await server.request('POST', path(), { token, body: stateBackend(url) });
      assert.equal(res.status, 200, res.text);
      return res.body.data;
    }

    it('is stable between reads and updates, and is accepted for its backend only', async () => {
      const first = await created('https://state.example.com/a');
      const second = await created('https://state.example.com/b');
      assert.equal(await accepted(first.jwt), first.id);
      assert.equal(await accepted(second.jwt), second.id);
      assert.notEqual(first.jwt, second.jwt);
      assert.equal((await server.request('GET', path(`/${first.id}`), { token })).body.data.jwt, first.jwt);
      const updated = await server.request('PUT', path(`/${first.id}`), {
        token,
        body: { ...stateBackend('https://state.example.com/a2'), project_canonical: 'a' },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.data.jwt, first.jwt, 'an ordinary update keeps the token');
      // Not a session, and tampering breaks it.
      assert.equal((await server.request('GET', '/user', { token: first.jwt })).status, 401);
      const [head, body, mac] = first.jwt.split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: `external_backend:${second.id}` })).toString(
        'base64url',
      );
      assert.equal(await accepted(`${head}.${forged}.${mac}`), undefined);
    });

    it('rotates with ?rotate_token=true: the old token stops working, the new one works', async () => {
      const backend = await created('https://state.example.com/rotate');
      const rotated = await server.request('PUT', path(`/${backend.id}?rotate_token=true`), {
        token,
        body: stateBackend('https://state.example.com/rotate'),
      });
      assert.equal(rotated.status, 200, rotated.text);
      const fresh = rotated.body.data.jwt as string;
      assert.notEqual(fresh, backend.jwt);
      assert.equal(await accepted(backend.jwt), undefined, 'the old token is retired');
      assert.equal(await accepted(fresh), backend.id);
      assert.equal((await server.request('GET', path(`/${backend.id}`), { token })).body.data.jwt, fresh);
      // A second rotation retires the first rotated token as well.
      const again = await server.request('PUT', path(`/${backend.id}?rotate_token=true`), {
        token,
        body: stateBackend('https://state.example.com/rotate'),
      });
      assert.equal(await accepted(fresh), undefined);
      assert.equal(await accepted(again.body.data.jwt), backend.id);
      // The parameter is a boolean; anything else is a 400.
      const bad = await server.request('PUT', path(`/${backend.id}?rotate_token=maybe`), {
        token,
        body: stateBackend('https://state.example.com/rotate'),
      });
      assert.equal(bad.status, 400);
    });

    it('dies with its backend, and a backend made afterwards does not accept it', async () => {
      const backend = await created('https://state.example.com/doomed');
      assert.equal(await accepted(backend.jwt), backend.id);
      assert.equal((await server.request('DELETE', path(`/${backend.id}`), { token })).status, 204);
      assert.equal(await accepted(backend.jwt), undefined);
      const next = await created('https://state.example.com/doomed');
      // (Same scope: the deleted backend left it free.)
      assert.notEqual(next.id, backend.id);
      assert.equal(await accepted(backend.jwt), undefined);
      assert.equal(await accepted(next.jwt), next.id);
    });

    it('dies with its organization', async () => {
      const other = await tenant(server);
      const res = await server.request('POST', `/organizations/${other.org.canonical}/external_backends`, {
        token: other.token,
        body: stateBackend('https://state.example.com/org'),
      });
      const jwt = res.body.data.jwt as string;
      assert.ok(await accepted(jwt));
      assert.equal(
        (await server.request('DELETE', `/organizations/${other.org.canonical}`, { token: other.token })).status,
        204,
      );
      assert.equal(await accepted(jwt), undefined);
    });
  });
}
