import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditTrail } from './helpers/api-keys.js';
import { addMember, createUser, sessionToken, type TestOrg, tenant } from './helpers/factories.js';
import { type FakeGcp, makeServiceAccount, SAMPLE_OPTIONS, SAMPLE_PROJECTS, startFakeGcp } from './helpers/fake-gcp.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

/** getCredentialOptions over HTTP, against a test Google token endpoint and BigQuery API. */
for (const engine of testEngines()) {
  describe(`credential options: BigQuery (${engine})`, () => {
    let server: TestServer;
    let gcp: FakeGcp;
    let org: TestOrg;
    let token: string;
    const account = makeServiceAccount();
    const options = (canonical: string, service = 'gcp_bigquery') =>
      `/organizations/${org.canonical}/credentials/${canonical}/options?service=${service}`;

    before(async () => {
      gcp = await startFakeGcp({
        clientEmail: account.clientEmail,
        publicKeyPem: account.publicKeyPem,
        projects: SAMPLE_PROJECTS,
      });
      server = await startServer(engine, {
        env: { GANTRY_GCP_TOKEN_URL: gcp.endpoints.tokenUrl, GANTRY_GCP_BIGQUERY_URL: gcp.endpoints.bigQueryUrl },
      });
      ({ org, token } = await tenant(server));
      for (const [canonical, type, raw] of [
        ['billing', 'gcp', { json_key: account.jsonKey }],
        ['stranger', 'gcp', { json_key: makeServiceAccount({ client_email: account.clientEmail }).jsonKey }],
        ['keys', 'aws', { access_key: 'AKIAOPTIONS00000001', secret_key: 'opt-secret' }],
      ] as const) {
        const res = await server.request('POST', `/organizations/${org.canonical}/credentials`, {
          token,
          body: { name: canonical, canonical, type, path: `gcp/${canonical}`, raw },
        });
        assert.equal(res.status, 200, res.text);
      }
    });
    after(async () => {
      await server.close();
      await gcp.close();
    });

    it('lists the projects, datasets and tables the service account sees, without returning the key', async () => {
      const res = await server.request('GET', options('billing'), { token });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, SAMPLE_OPTIONS);
      assert.doesNotMatch(res.text, /PRIVATE KEY|private_key/);
      assert.ok(gcp.tokens.length > 0);
    });

    it('refuses a key the token endpoint rejects (422), other types (422) and unknown services (400)', async () => {
      const refused = await server.request('GET', options('stranger'), { token });
      assert.equal(refused.status, 422, refused.text);
      assert.match(refused.body.errors[0].message, /GCP credential was refused/);
      assert.doesNotMatch(refused.text, /PRIVATE KEY/);
      const aws = await server.request('GET', options('keys'), { token });
      assert.equal(aws.status, 422);
      assert.match(aws.body.errors[0].message, /needs a gcp credential/);
      assert.equal((await server.request('GET', options('billing', 'aws_s3'), { token })).status, 400);
      assert.equal((await server.request('GET', options('nope'), { token })).status, 404);
    });

    it('needs read on the credential; other organizations get 404', async () => {
      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      const asMember = await server.request('GET', options('billing'), { token: sessionToken(server, member) });
      assert.equal(asMember.status, 403);
      const other = await tenant(server);
      const foreign = await server.request('GET', options('billing'), { token: other.token });
      assert.equal(foreign.status, 404);
      assert.doesNotMatch(foreign.text, /billing-project/);
      // Using a secret on the caller's behalf returns none of it: no read event is recorded for it.
      const reads = (await auditTrail(server, org.id)).filter((e) => e.title === 'organization:credential:read');
      assert.equal(reads.length, 0);
    });
  });
}
