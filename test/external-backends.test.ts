import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadContract } from '../src/platform/http/contract.js';
import { auditTrail, customRole } from './helpers/api-keys.js';
import { sampleRaw } from './helpers/credential-samples.js';
import { addMember, createUser, sessionToken, type TestOrg, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

type Body = Record<string, unknown>;
interface Sample {
  purpose: string;
  credential: string;
  configuration: Body & { engine: string };
}
const eb = (purpose: string, credential: string, engine: string, fields: Body): Sample => ({
  purpose,
  credential,
  configuration: { engine, ...fields },
});

const esSources = (urls?: string[]) => ({
  prod: {
    'access.log': {
      index: 'nginx-*',
      mapping: { host: 'hostname', message: 'message', timestamp: '@timestamp' },
      prefilters: { term: { service: 'web' } },
      ...(urls ? { urls } : {}),
    },
  },
});
const ES = {
  urls: ['https://es.example.com:9200'],
  version: '7',
  sources: esSources(['https://es2.example.com:9200']),
};
const es = (over: Body = {}) => ({ engine: 'ElasticsearchLogs', ...ES, ...over });
const S3 = { bucket: 'states', region: 'eu-west-1', key: 'web/prod.tfstate', endpoint: 'https://s3.example.com' };
const GITLAB = 'https://gitlab.example.com/api/v4/projects/1/terraform/state/prod';
const BLOBS = 'https://acct.blob.core.windows.net/';

/** One working backend per engine of the contract, with a purpose it serves and the credential it needs. */
const SAMPLES: Sample[] = [
  eb('remote_tfstate', 'aws', 'AWSStorage', { ...S3, s3_force_path_style: true, skip_verify_ssl: false }),
  eb('cost_explorer', 'aws', 'AWSStorage', { bucket: 'cur', region: 'us-east-1', key: 'cur/' }),
  eb('remote_tfstate', 'aws', 'AWSRemoteTFState', { bucket: 'b', region: 'eu-west-3', key: 'k' }),
  eb('remote_tfstate', 'gcp', 'GCPStorage', { bucket: 'b', object: 'o/x.tfstate' }),
  eb('remote_tfstate', 'gcp', 'GCPRemoteTFState', { bucket: 'b', object: 'o' }),
  eb('remote_tfstate', 'azure_storage', 'AzureStorage', { container: 'c', blob: 'b.tfstate', endpoint: BLOBS }),
  eb('remote_tfstate', 'azure_storage', 'AzureRemoteTFState', { container: 'c', blob: 'b' }),
  eb('remote_tfstate', 'swift', 'SwiftStorage', { container: 'c', region: 'R1', object: 'o', skip_verify_ssl: true }),
  eb('remote_tfstate', 'swift', 'SwiftRemoteTFState', { container: 'c', region: 'R', object: 'o' }),
  eb('remote_tfstate', 'basic_auth', 'HTTPStorage', { url: 'https://state.example.com/web' }),
  eb('remote_tfstate', 'basic_auth', 'GitLabHTTPStorage', { url: GITLAB }),
  eb('logs', 'aws', 'AWSCloudWatchLogs', { region: 'eu-west-1' }),
  eb('events', 'aws', 'AWSCloudWatchLogs', { region: 'us-west-2' }),
  eb('logs', 'elasticsearch', 'ElasticsearchLogs', ES),
  eb('cost_explorer', 'azure', 'AzureCostExport', {
    blob_service_url: BLOBS,
    name: 'daily',
    scope: '/subscriptions/s',
  }),
  eb('cost_explorer', 'gcp', 'GCPCostStorage', { project_id: 'billing', dataset: 'export', table: 'gcp_billing' }),
  eb('remote_tfstate', 'vmware', 'VMwareVsphere', { server: 'vcenter.example.com', allow_unverified_ssl: false }),
];
const sample = (engine: string) => SAMPLES.find((s) => s.configuration.engine === engine)!;
const bodyOf = (s: Sample, over: Body = {}): Body => ({
  purpose: s.purpose,
  configuration: s.configuration,
  credential_canonical: `cred-${s.credential}`,
  ...over,
});
/** The engine's sample body with some configuration fields changed (undefined drops one). */
const withFields = (engine: string, fields: Body, over: Body = {}) =>
  bodyOf(sample(engine), { configuration: { ...sample(engine).configuration, ...fields }, ...over });
const http = (url: string) => withFields('HTTPStorage', { url });
const vsphere = (server: string) => withFields('VMwareVsphere', { server });
const scopedTo = (body: Body, project: string, environment?: string, component?: string): Body => ({
  ...body,
  project_canonical: project,
  ...(environment ? { environment_canonical: environment } : {}),
  ...(component ? { component_canonical: component } : {}),
});
const FORBIDDEN = [
  'http://169.254.169.254/',
  'http://[fe80::1]:9200',
  'http://0.0.0.0',
  'file:///etc/passwd',
  'http://user:pass@host/',
  'http://metadata.google.internal',
];

for (const engine of testEngines()) {
  describe(`external backends (${engine})`, () => {
    let server: TestServer;
    let org: TestOrg;
    let token: string;
    let other: { org: TestOrg; token: string };
    const path = (suffix = '') => `/organizations/${org.canonical}/external_backends${suffix}`;
    const create = (body: Body, query = '', as = token) => server.request('POST', path(query), { token: as, body });
    const get = (id: number, as = token) => server.request('GET', path(`/${id}`), { token: as });
    const put = (id: number, body: Body, as = token) => server.request('PUT', path(`/${id}`), { token: as, body });
    const del = (id: number, as = token) => server.request('DELETE', path(`/${id}`), { token: as });
    const list = async (query = '', as = token) => server.request('GET', path(query), { token: as });
    const ids = async (query: string) => (await list(query)).body.data.map((b: any) => b.id);
    const made = async (body: Body, query = ''): Promise<any> => {
      const res = await create(body, query);
      assert.equal(res.status, 200, res.text);
      return res.body.data;
    };
    const rows = () => server.database.db.selectFrom('external_backends').selectAll().orderBy('id').execute();
    const refused = async (status: number, body: Body, message: RegExp, query = '') => {
      const res = await create(body, query);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 300)}: ${res.text}`);
      assert.match(res.body.errors[0].message, message);
      return res;
    };
    /** Configurations among `bodies` that were not refused with 422. */
    const accepted = async (bodies: Body[]) => {
      const out: string[] = [];
      for (const body of bodies) if ((await create(body)).status !== 422) out.push(JSON.stringify(body.configuration));
      return out;
    };
    const credential = (as: string, orgCanonical: string, type: string, canonical: string, name = canonical) =>
      server.request('POST', `/organizations/${orgCanonical}/credentials`, {
        token: as,
        body: { name, canonical, type, path: canonical, raw: sampleRaw(type) },
      });

    before(async () => {
      server = await startServer(engine);
      ({ org, token } = await tenant(server));
      other = await tenant(server);
      for (const type of ['aws', 'gcp', 'azure', 'azure_storage', 'basic_auth', 'elasticsearch', 'swift', 'vmware']) {
        assert.equal((await credential(token, org.canonical, type, `cred-${type}`)).status, 200);
      }
      const foreign = await credential(other.token, other.org.canonical, 'aws', 'foreign-aws', 'Their Secret Name');
      assert.equal(foreign.status, 200);
    });
    after(() => server.close());

    it('creates a backend of every engine of the contract and answers it as sent', async () => {
      const mapping = (loadContract().schemas.ExternalBackendConfiguration as any).discriminator.mapping;
      assert.deepEqual([...new Set(SAMPLES.map((s) => s.configuration.engine))].sort(), Object.keys(mapping).sort());
      const keys = ['id', 'purpose', 'default', 'credential_canonical', 'configuration', 'created_at', 'updated_at'];
      for (const s of SAMPLES) {
        const res = await create(bodyOf(s));
        assert.equal(res.status, 200, `${s.configuration.engine}: ${res.text}`);
        const b = res.body.data;
        const tf = s.purpose === 'remote_tfstate';
        assert.deepEqual(Object.keys(b).sort(), [...keys, ...(tf ? ['jwt'] : [])].sort());
        assert.equal(b.purpose, s.purpose);
        assert.deepEqual(b.configuration, s.configuration);
        assert.equal(b.credential_canonical, `cred-${s.credential}`);
        assert.equal(b.default, false);
        assert.ok(b.created_at > 1_600_000_000 && b.updated_at >= b.created_at);
        assert.deepEqual((await get(b.id)).body.data, b);
        if (!tf) continue;
        assert.equal(typeof b.jwt, 'string');
        const asSession = await server.request('GET', `/organizations/${org.canonical}`, { token: b.jwt });
        assert.equal(asSession.status, 401, `the backend jwt is not a session: ${asSession.text}`);
      }
    });

    it('refuses bad engines, purposes, fields and credentials, naming the field, writing nothing', async () => {
      const before = await rows();
      const aws = sample('AWSStorage');
      await refused(422, bodyOf(aws, { configuration: { engine: 'FTPStorage', url: 'x' } }), /invalid engine value/);
      await refused(422, bodyOf(aws, { purpose: 'logs' }), /^purpose: .*AWSStorage/);
      await refused(422, bodyOf(sample('ElasticsearchLogs'), { purpose: 'remote_tfstate' }), /^purpose: /);
      await refused(400, withFields('AWSStorage', { bucket: undefined }), /bucket/);
      await refused(400, withFields('AWSStorage', { colour: 'blue' }), /colour/);
      await refused(422, bodyOf(aws, { credential_canonical: undefined }), /^credential_canonical: .*aws/);
      await refused(422, bodyOf(aws, { credential_canonical: 'cred-gcp' }), /^credential_canonical: .*aws.*gcp/);
      const cred = /^credential_canonical: /;
      const foreign = await refused(422, bodyOf(aws, { credential_canonical: 'foreign-aws' }), cred);
      const missing = await refused(422, bodyOf(aws, { credential_canonical: 'never-made' }), cred);
      // The same answer as for a credential that does not exist: nothing about the other organization.
      assert.equal(foreign.body.errors[0].message, missing.body.errors[0].message.replace('never-made', 'foreign-aws'));
      assert.doesNotMatch(foreign.text, new RegExp(`Their Secret Name|${other.org.canonical}`));
      for (const [name, field] of [
        ['AWSStorage', 'key'],
        ['GCPStorage', 'object'],
        ['AzureStorage', 'blob'],
        ['SwiftStorage', 'object'],
      ] as const) {
        await refused(422, withFields(name, { [field]: undefined }), new RegExp(`^configuration\\.${field}: `));
      }
      const state = http('https://s.example.com/');
      await refused(422, state, /^environment_canonical: /, '?environment_canonical=prod');
      await refused(422, { ...state, environment_canonical: 'prod' }, /^environment_canonical: /);
      // A default may carry a scope (some clients send both); it stays the purpose's only default.
      const scopedDefault = await made({ ...state, project_canonical: 'web', default: true });
      assert.equal(scopedDefault.default, true);
      await del(scopedDefault.id);
      await refused(422, withFields('ElasticsearchLogs', { version: '6' }), /^configuration\.version: /);
      await refused(422, withFields('ElasticsearchLogs', { urls: [] }), /^configuration\.urls: /);
      await refused(422, withFields('ElasticsearchLogs', { sources: {} }), /^configuration\.sources: /);
      await refused(422, withFields('ElasticsearchLogs', { sources: { prod: {} } }), /^configuration\.sources/);
      assert.deepEqual(await rows(), before);
    });

    it('refuses metadata, link-local, unspecified, non-http and credential-bearing addresses everywhere', async () => {
      const before = await rows();
      for (const url of FORBIDDEN) {
        const host = new URL(url).hostname;
        for (const body of [
          withFields('ElasticsearchLogs', { urls: [url] }),
          withFields('ElasticsearchLogs', { sources: esSources([url]) }),
          withFields('AWSStorage', { endpoint: url }),
          withFields('AzureStorage', { endpoint: url }),
          http(url),
          withFields('GitLabHTTPStorage', { url }),
          withFields('AzureCostExport', { blob_service_url: url }),
          // vSphere's server is a host name or address.
          ...(host && !url.includes('@') ? [vsphere(host.replace(/^\[|\]$/g, '')), vsphere(host)] : []),
        ]) {
          const res = await refused(422, body, /^configuration/);
          assert.doesNotMatch(res.text, /pass@/);
        }
      }
      assert.deepEqual(await rows(), before);
    });

    it('names the address field at fault', async () => {
      const bad = 'http://169.254.169.254/';
      for (const [body, field] of [
        [withFields('AWSStorage', { endpoint: bad }), 'endpoint'],
        [withFields('AzureStorage', { endpoint: bad }), 'endpoint'],
        [http(bad), 'url'],
        [withFields('AzureCostExport', { blob_service_url: bad }), 'blob_service_url'],
        [withFields('ElasticsearchLogs', { urls: [bad] }), 'urls'],
        [withFields('ElasticsearchLogs', { sources: esSources([bad]) }), 'sources'],
      ] as const) {
        await refused(422, body, new RegExp(`^configuration\\.${field}\\b`));
      }
    });

    it('a vSphere server written as a URL is refused', async () => {
      assert.deepEqual(await accepted(FORBIDDEN.map(vsphere)), []);
    });

    it("AWS's IPv6 and Alibaba's metadata addresses are refused by default", async () => {
      assert.deepEqual(
        await accepted([http('http://[fd00:ec2::254]/latest/meta-data/'), http('http://100.100.100.200/')]),
        [],
      );
    });

    it('refuses private addresses by default; loopback where the operator allowed it (as this test server does)', async () => {
      await made(withFields('ElasticsearchLogs', { urls: ['http://127.0.0.1:9200'] }));
      await made(withFields('ElasticsearchLogs', { sources: esSources(['http://localhost:9200']) }));
      await refused(422, withFields('ElasticsearchLogs', { urls: ['http://10.0.0.5:9200'] }), /may not call/);
      await refused(422, http('http://192.168.1.10:8080/state'), /may not call/);
      await refused(422, http('http://[::ffff:192.168.1.10]:8080/state'), /may not call/);
      await refused(422, vsphere('172.16.0.10'), /may not call/);
    });

    it('keeps at most one default per purpose; a default storage backend needs no key', async () => {
      const cloudwatch = (purpose: string) => bodyOf(sample('AWSCloudWatchLogs'), { purpose, default: true });
      const firstLogs = await made(cloudwatch('logs'));
      const events = await made(cloudwatch('events'));
      const state = await made(withFields('AWSStorage', { key: undefined }), '?external_backend_default=true');
      assert.equal(state.default, true);
      const secondLogs = await made(cloudwatch('logs'));
      const unset = (await get(firstLogs.id)).body.data;
      assert.equal(unset.default, false);
      assert.ok(unset.updated_at >= firstLogs.updated_at);
      assert.equal((await get(events.id)).body.data.default, true);
      assert.equal((await get(secondLogs.id)).body.data.default, true);
      assert.deepEqual(await ids('?external_backend_default=true'), [events.id, state.id, secondLogs.id]);
      const nonDefaults = (await list('?external_backend_default=false')).body.data;
      assert.ok(nonDefaults.some((b: any) => b.id === firstLogs.id));
      assert.ok(nonDefaults.every((b: any) => b.default === false));
    });

    it('concurrent defaults leave exactly one default per purpose (a unique index, not a check in code)', async () => {
      const cloudwatch = () => bodyOf(sample('AWSCloudWatchLogs'), { purpose: 'events', default: true });
      const answers = await Promise.all(Array.from({ length: 6 }, () => create(cloudwatch())));
      for (const res of answers) assert.ok([200, 409].includes(res.status), `${res.status} ${res.text}`);
      assert.ok(answers.some((res) => res.status === 200));
      const defaults = await server.database.db
        .selectFrom('external_backends')
        .select('id')
        .where('organization_id', '=', org.id)
        .where('purpose', '=', 'events')
        .where('is_default', '=', 1)
        .execute();
      assert.equal(defaults.length, 1);
    });

    it('one backend per purpose and scope (409); filters by scope and pages', async () => {
      const scoped = (...scope: [string, string?, string?]) =>
        scopedTo(http(`https://s.example.com/${scope[0]}`), ...scope);
      const project = await made(scoped('shop'));
      const prod = await made(scoped('shop', 'prod'));
      const staging = await made(scoped('shop', 'staging'));
      const api = await made(scoped('shop', 'prod', 'api'));
      assert.deepEqual([prod.project_canonical, prod.environment_canonical], ['shop', 'prod']);
      assert.equal(api.component_canonical, 'api');
      const before = await rows();
      await refused(409, scoped('shop', 'prod'), /already serves/);
      await refused(
        409,
        http('https://x.example.com/'),
        /already serves/,
        '?project_canonical=shop&environment_canonical=prod',
      );
      assert.deepEqual(await rows(), before);
      // Another purpose in the same scope is no clash.
      const logs = await made(scopedTo(bodyOf(sample('AWSCloudWatchLogs')), 'shop', 'prod'));

      assert.deepEqual(await ids('?project_canonical=shop'), [project.id, prod.id, staging.id, api.id, logs.id]);
      assert.deepEqual(await ids('?project_canonical=shop&environment_canonical=staging'), [staging.id]);
      assert.deepEqual(await ids('?environment_canonical=prod'), [prod.id, api.id, logs.id]);
      assert.deepEqual(await ids('?component_canonical=api'), [api.id]);
      assert.deepEqual(await ids('?project_canonical=nothing'), []);
      const page = (await list('?project_canonical=shop&page_index=2&page_size=2')).body;
      assert.deepEqual(await ids('?project_canonical=shop&page_index=2&page_size=2'), [staging.id, api.id]);
      assert.deepEqual(page.pagination, { index: 2, size: 2, total: 5 });
    });

    it('update replaces the whole backend with the same rules; delete removes it', async () => {
      const first = await made({ ...http('https://state.example.com/'), project_canonical: 'blog' });
      const logs = bodyOf(sample('ElasticsearchLogs'), { project_canonical: 'blog' });
      const res = await put(first.id, logs);
      assert.equal(res.status, 200, res.text);
      const changed = res.body.data;
      assert.equal(changed.purpose, 'logs');
      assert.deepEqual(changed.configuration, sample('ElasticsearchLogs').configuration);
      assert.equal(changed.credential_canonical, 'cred-elasticsearch');
      assert.equal(changed.jwt, undefined);
      assert.equal(changed.created_at, first.created_at);
      assert.deepEqual((await get(first.id)).body.data, changed);

      const clash = await made({ ...http('https://state.example.com/'), project_canonical: 'blog' });
      const before = await rows();
      for (const [status, body] of [
        [422, withFields('ElasticsearchLogs', { version: '6' })],
        [422, bodyOf(sample('ElasticsearchLogs'), { credential_canonical: 'cred-aws' })],
        [422, http('http://169.254.169.254/')],
        [422, bodyOf(sample('AWSStorage'), { purpose: 'events' })],
        [400, withFields('ElasticsearchLogs', { extra: 1 })],
        [400, { configuration: es() }],
        [409, logs],
      ] as const) {
        const bad = await put(status === 409 ? clash.id : first.id, body);
        assert.equal(bad.status, status, `${JSON.stringify(body).slice(0, 200)}: ${bad.text}`);
      }
      assert.deepEqual(await rows(), before);

      assert.equal((await put(999_999, logs)).status, 404);
      assert.equal((await get(999_999)).status, 404);
      const gone = await del(first.id);
      assert.equal(gone.status, 204, gone.text);
      assert.equal((await get(first.id)).status, 404);
      assert.equal((await del(first.id)).status, 404);
      assert.equal((await rows()).length, before.length - 1);
    });

    it('credentials report the backends using them; deleting one is refused unless forced', async () => {
      assert.equal((await credential(token, org.canonical, 'basic_auth', 'state-login')).status, 200);
      const login = { credential_canonical: 'state-login' };
      const scoped = await made(scopedTo({ ...http('https://s.example.com/'), ...login }, 'crm', 'prod'));
      const gitlab = await made(bodyOf(sample('GitLabHTTPStorage'), login));
      const credPath = `/organizations/${org.canonical}/credentials/state-login`;
      const cred = await server.request('GET', credPath, { token });
      const brief = (u: any) => [u.purpose, u.engine, u.project?.canonical, u.environment?.canonical];
      assert.deepEqual(cred.body.data.in_use.external_backends.map(brief), [
        ['remote_tfstate', 'HTTPStorage', 'crm', 'prod'],
        ['remote_tfstate', 'GitLabHTTPStorage', undefined, undefined],
      ]);
      const refusal = await server.request('DELETE', credPath, { token });
      assert.equal(refusal.status, 409, refusal.text);
      const named = refusal.body.errors[0].details.join('\n');
      assert.match(named, new RegExp(`external backend ${scoped.id}\\b.*HTTPStorage`));
      assert.match(named, new RegExp(`external backend ${gitlab.id}\\b`));
      assert.equal((await server.request('DELETE', `${credPath}?force=true`, { token })).status, 204);
      const orphan = (await get(scoped.id)).body.data;
      assert.equal(orphan.credential_canonical, undefined);
      assert.deepEqual(orphan.configuration, scoped.configuration);
      assert.equal((await get(gitlab.id)).status, 200);
    });

    it('members read, only granted roles write; other organizations learn nothing; changes are audited', async () => {
      const target = await made(withFields('GCPStorage', { bucket: 'hidden-bucket' }));
      const second = await made(bodyOf(sample('GCPRemoteTFState')));
      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      const m = sessionToken(server, member);
      const before = await rows();
      assert.equal((await list('', m)).status, 200);
      const asMember = await get(target.id, m);
      assert.equal(asMember.status, 200);
      // The machine token is for those who may change the backend.
      assert.equal(asMember.body.data.jwt, undefined);
      assert.ok((await get(target.id)).body.data.jwt);
      assert.equal((await create(bodyOf(sample('GCPStorage')), '', m)).status, 403);
      assert.equal((await put(target.id, bodyOf(sample('GCPStorage')), m)).status, 403);
      assert.equal((await del(target.id, m)).status, 403);

      const resource = `organization:${org.canonical}:external_backend:${target.id}`;
      await customRole(server, org, 'eb-reader', [
        { action: 'organization:external_backend:read', resources: [resource] },
      ]);
      const readerUser = await createUser(server);
      await addMember(server, org, readerUser, 'eb-reader');
      const reader = sessionToken(server, readerUser);
      assert.equal((await get(target.id, reader)).status, 200);
      assert.equal((await get(second.id, reader)).status, 403);
      assert.equal((await list('', reader)).status, 403);

      const foreign = other.token;
      for (const res of [
        await list('', foreign),
        await get(target.id, foreign),
        await put(target.id, bodyOf(sample('GCPStorage')), foreign),
        await del(target.id, foreign),
        await create(bodyOf(sample('GCPStorage')), '', foreign),
      ]) {
        assert.equal(res.status, 404, res.text);
        assert.doesNotMatch(res.text, /hidden-bucket|cred-gcp/);
      }
      assert.deepEqual(await rows(), before);

      const fresh = await made(bodyOf(sample('GCPStorage')));
      for (const [action, step] of [
        ['create', async () => {}],
        ['update', () => put(fresh.id, bodyOf(sample('GCPRemoteTFState')))],
        ['delete', () => del(fresh.id)],
      ] as const) {
        await step();
        const event = (await auditTrail(server, org.id)).at(-1)!;
        assert.equal(event.title, `organization:external_backend:${action}`);
        assert.equal(event.tags.target, `external_backend:${fresh.id}`);
      }
    });
  });
}
