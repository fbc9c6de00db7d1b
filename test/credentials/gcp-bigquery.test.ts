import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type GcpEndpoints,
  listBigQueryOptions,
  MAX_PAGES,
  parseServiceAccountKey,
  validateServiceAccountKey,
} from '../../src/modules/credentials/gcp-bigquery.js';
import { AppError } from '../../src/platform/errors.js';
import { DEFAULT_OUTBOUND_POLICY, parseOutboundPolicy } from '../../src/platform/net/outbound.js';
import {
  closedPort,
  type FakeGcp,
  type FakeGcpOptions,
  type FakeProject,
  googleError,
  makeServiceAccount,
  SAMPLE_OPTIONS,
  SAMPLE_PROJECTS,
  send,
  startFakeGcp,
  type TestServiceAccount,
} from '../helpers/fake-gcp.js';

// The default policy already allows loopback; an explicit one keeps these tests independent of it.
// The test Google servers listen on loopback, which the default policy refuses.
const POLICY = parseOutboundPolicy('', 'loopback');

/** Asserts the promise fails with an AppError of that status whose message matches and holds no key. */
async function assertFails(promise: Promise<unknown>, status: number, message: RegExp, account?: TestServiceAccount) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.status, status, error.message);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /PRIVATE KEY|ya29\./);
    if (account) assert.ok(!error.message.includes(account.privateKeyPem.split('\n')[1]!), 'key material in message');
    return true;
  });
}

describe('GCP BigQuery credential options', () => {
  let account: TestServiceAccount;
  const fakes: FakeGcp[] = [];

  async function fake(options: Partial<FakeGcpOptions> = {}): Promise<FakeGcp> {
    const started = await startFakeGcp({
      clientEmail: account.clientEmail,
      publicKeyPem: account.publicKeyPem,
      projects: SAMPLE_PROJECTS,
      ...options,
    });
    fakes.push(started);
    return started;
  }

  const bigQueryRequests = (gcp: FakeGcp) => gcp.requests.filter((r) => r.path.startsWith('/bigquery/'));

  before(() => {
    account = makeServiceAccount();
  });
  after(async () => {
    await Promise.all(fakes.map((f) => f.close()));
  });

  it('lists projects, datasets and tables, sorted by id, with a verified token', async () => {
    const gcp = await fake();
    const options = await listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY);
    assert.deepEqual(options, SAMPLE_OPTIONS);

    assert.equal(gcp.tokens.length, 1);
    const listed = bigQueryRequests(gcp);
    assert.ok(listed.length > 0);
    for (const request of listed) assert.equal(request.authorization, `Bearer ${gcp.tokens[0]}`);
    const datasetCalls = listed.filter((r) => r.path.endsWith('/datasets'));
    assert.ok(datasetCalls.every((r) => r.query.all === 'false'));
  });

  it('follows nextPageToken through every page of each listing', async () => {
    const gcp = await fake({ pageSize: 1 });
    assert.deepEqual(await listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY), SAMPLE_OPTIONS);
    const tablePages = bigQueryRequests(gcp).filter(
      (r) => r.path === '/bigquery/v2/projects/billing-project/datasets/billing_export/tables',
    );
    assert.deepEqual(
      tablePages.map((r) => r.query.pageToken),
      [undefined, '1', '2'],
    );
    const projectPages = bigQueryRequests(gcp).filter((r) => r.path === '/bigquery/v2/projects');
    assert.equal(projectPages.length, 3);
  });

  it(`stops after ${MAX_PAGES} pages of an endless listing`, async () => {
    const gcp = await fake({
      intercept(req, res) {
        if (!req.url?.startsWith('/bigquery/v2/projects?')) return false;
        send(res, 200, { projects: [{ projectReference: { projectId: 'loop' } }], nextPageToken: 'again' });
        return true;
      },
    });
    const options = await listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY);
    assert.equal(bigQueryRequests(gcp).filter((r) => r.path === '/bigquery/v2/projects').length, MAX_PAGES);
    assert.deepEqual(
      options.projects.map((p) => p.id),
      ['loop'],
    );
  });

  it('keeps at most the given number of BigQuery requests in flight', async () => {
    const gcp = await fake({ delayMs: 20, pageSize: 10 });
    await listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY, { concurrency: 2 });
    assert.equal(gcp.maxInFlight(), 2);
    const defaultLimit = await fake({ delayMs: 20, pageSize: 10 });
    await listBigQueryOptions(account.jsonKey, defaultLimit.endpoints, POLICY);
    assert.equal(defaultLimit.maxInFlight(), 4);
  });

  it('refuses a listing that would take more requests than allowed', async () => {
    const gcp = await fake({ pageSize: 1 });
    await assertFails(
      listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY, { maxRequests: 5 }),
      422,
      /more BigQuery projects, datasets and tables than can be listed at once \(over 5 requests\)/,
    );
    // Requests already in flight may still land after the refusal, but none beyond the budget.
    assert.ok(bigQueryRequests(gcp).length <= 5);
  });

  it('refuses an assertion signed with another key (signature check fails upstream)', async () => {
    const gcp = await fake();
    const impostor = makeServiceAccount({ client_email: account.clientEmail });
    await assertFails(
      listBigQueryOptions(impostor.jsonKey, gcp.endpoints, POLICY),
      422,
      /^the GCP credential was refused: invalid_grant: Invalid JWT Signature\.$/,
      impostor,
    );
    assert.equal(bigQueryRequests(gcp).length, 0);
  });

  it('never calls the token_uri of the key, only the configured token endpoint', async () => {
    const decoy = await fake();
    const gcp = await fake();
    const pointed = makeServiceAccount({ token_uri: decoy.endpoints.tokenUrl });
    const real = await fake({ clientEmail: pointed.clientEmail, publicKeyPem: pointed.publicKeyPem });
    assert.deepEqual(await listBigQueryOptions(pointed.jsonKey, real.endpoints, POLICY), SAMPLE_OPTIONS);
    assert.equal(decoy.requests.length, 0);
    assert.equal(gcp.requests.length, 0);
    assert.equal(real.tokens.length, 1);
  });

  it('answers 502 when the token endpoint cannot be reached', async () => {
    const port = await closedPort();
    const endpoints: GcpEndpoints = { tokenUrl: `http://127.0.0.1:${port}/token`, bigQueryUrl: 'http://127.0.0.1:1' };
    await assertFails(listBigQueryOptions(account.jsonKey, endpoints, POLICY), 502, /GCP token endpoint/, account);
  });

  it('answers 502 without calling a token endpoint the policy denies', async () => {
    const endpoints: GcpEndpoints = { tokenUrl: 'http://169.254.169.254/token', bigQueryUrl: 'http://169.254.169.254' };
    await assertFails(listBigQueryOptions(account.jsonKey, endpoints, DEFAULT_OUTBOUND_POLICY), 502, /may not call/);
  });

  it('answers 504 when BigQuery does not answer in time', async () => {
    const gcp = await fake({ intercept: (req) => req.url?.startsWith('/bigquery/') === true });
    const started = Date.now();
    await assertFails(
      listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY, { timeoutMs: 200 }),
      504,
      /^BigQuery did not answer in time/,
    );
    assert.ok(Date.now() - started < 1500);
  });

  it('never quotes secrets an upstream echoes back', async () => {
    const gcp = await fake({
      intercept(req, res) {
        if (req.url !== '/token') return false;
        send(res, 400, {
          error: 'invalid_grant',
          error_description: `bad assertion eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl for key ${account.privateKeyPem} token ya29.short ${'x '.repeat(300)}`,
        });
        return true;
      },
    });
    await assert.rejects(listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY), (error: AppError) => {
      assert.equal(error.status, 422);
      assert.match(error.message, /^the GCP credential was refused: invalid_grant: bad assertion \[redacted\]/);
      assert.doesNotMatch(error.message, /eyJ|PRIVATE KEY|ya29/);
      assert.ok(error.message.length <= 240, `message of ${error.message.length} chars`);
      return true;
    });
  });

  describe('BigQuery refusals and failures', () => {
    const failing = (path: string, status: number, body: unknown): Partial<FakeGcpOptions> => ({
      intercept(req, res) {
        if (new URL(req.url ?? '/', 'http://x').pathname !== path) return false;
        send(res, status, body);
        return true;
      },
    });

    it('answers 422 with the reason when BigQuery refuses the token', async () => {
      const gcp = await fake(
        failing('/bigquery/v2/projects', 401, googleError(401, 'Invalid Credentials', 'authError')),
      );
      await assertFails(
        listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY),
        422,
        /^BigQuery refused the GCP credential: Invalid Credentials$/,
      );
    });

    it('answers 422 with the reason when the credential may not list projects', async () => {
      const message = 'Access Denied: BigQuery BigQuery: Permission denied while listing projects';
      const gcp = await fake(failing('/bigquery/v2/projects', 403, googleError(403, message, 'accessDenied')));
      await assertFails(
        listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY),
        422,
        /^BigQuery refused the GCP credential: Access Denied: BigQuery BigQuery: Permission denied/,
      );
    });

    it('shows a project or dataset it may not read as empty instead of failing', async () => {
      const projects: FakeProject[] = [
        { id: 'locked', denied: true, datasets: [{ id: 'hidden', tables: [{ id: 't' }] }] },
        { id: 'open', datasets: [{ id: 'private', denied: true, tables: [{ id: 't' }] }] },
      ];
      const gcp = await fake({ projects });
      assert.deepEqual(await listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY), {
        projects: [
          { id: 'locked', datasets: [] },
          { id: 'open', datasets: [{ id: 'private', tables: [] }] },
        ],
      });
    });

    it('answers 502 when BigQuery throttles, even as a 403', async () => {
      const body = googleError(403, 'Exceeded rate limits: too many api requests', 'rateLimitExceeded');
      const gcp = await fake(failing('/bigquery/v2/projects/billing-project/datasets', 403, body));
      await assertFails(listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY), 502, /throttling/);
    });

    it('answers 502 on a server error and stops starting further requests', async () => {
      const gcp = await fake({
        pageSize: 1,
        ...failing(
          '/bigquery/v2/projects/billing-project/datasets',
          500,
          googleError(500, 'Backend error', 'backendError'),
        ),
      });
      await assertFails(
        listBigQueryOptions(account.jsonKey, gcp.endpoints, POLICY, { concurrency: 1 }),
        502,
        /^BigQuery answered HTTP 500: Backend error$/,
      );
      const afterFailure = bigQueryRequests(gcp).filter((r) => r.path.startsWith('/bigquery/v2/projects/zeta'));
      assert.equal(afterFailure.length, 0);
    });
  });

  describe('service-account key validation', () => {
    const rsaPem = () => account.privateKeyPem;
    const base = () => JSON.parse(account.jsonKey) as Record<string, unknown>;
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

    const cases: [string, () => string, RegExp][] = [
      ['text that is not JSON', () => `not json ${rsaPem()}`, /^json_key is not valid JSON$/],
      ['a JSON array', () => '[1, 2]', /must be a JSON object/],
      ['a user credential', () => JSON.stringify({ ...base(), type: 'authorized_user' }), /type "service_account"/],
      ['no client_email', () => JSON.stringify({ ...base(), client_email: undefined }), /client_email/],
      [
        'a client_email that is no address',
        () => JSON.stringify({ ...base(), client_email: 'nobody' }),
        /client_email/,
      ],
      ['no project_id', () => JSON.stringify({ ...base(), project_id: '' }), /project_id/],
      ['no private_key', () => JSON.stringify({ ...base(), private_key: undefined }), /has no private_key/],
      [
        'a private_key that is not PEM',
        () =>
          JSON.stringify({ ...base(), private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
        /not a readable PEM private key/,
      ],
      ['an EC private_key', () => JSON.stringify({ ...base(), private_key: ecPem }), /must be an RSA key/],
    ];

    for (const [what, jsonKey, reason] of cases) {
      it(`refuses ${what}`, async () => {
        const key = jsonKey();
        const problem = validateServiceAccountKey(key);
        assert.ok(problem, 'a problem is reported');
        assert.match(problem, reason);
        assert.doesNotMatch(problem, /PRIVATE KEY|AAAA/);
        assert.throws(
          () => parseServiceAccountKey(key),
          (error: unknown) => error instanceof AppError && error.status === 422 && error.message === problem,
        );
        const gcp = await fake();
        await assertFails(listBigQueryOptions(key, gcp.endpoints, POLICY), 422, reason);
        assert.equal(gcp.requests.length, 0);
      });
    }

    it('accepts a real service-account key', () => {
      assert.equal(validateServiceAccountKey(account.jsonKey), undefined);
      const key = parseServiceAccountKey(account.jsonKey);
      assert.equal(key.clientEmail, account.clientEmail);
      assert.equal(key.projectId, 'billing-project');
    });
  });
});
