import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type TestOrg, tenant } from './helpers/factories.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const FORM = {
  version: '2',
  use_cases: [
    {
      name: 'default',
      sections: [
        {
          name: 'Cloud',
          groups: [
            {
              name: 'Access',
              technologies: ['pipeline'],
              vars: [
                {
                  name: 'Region',
                  key: 'region',
                  widget: 'radios',
                  type: 'string',
                  values: ['eu', 'us'],
                  default: 'eu',
                },
                { name: 'Size', key: 'size', widget: 'number', type: 'integer', default: 2 },
              ],
            },
          ],
        },
      ],
    },
  ],
};

/** An upstream for values_ref: each path answers what the table says. */
function upstream(): Promise<{ server: Server; url: string }> {
  const routes: Record<string, [number, string]> = {
    '/regions.json': [200, '["eu-west-1", "eu-west-3"]'],
    '/regions.yaml': [200, '- eu-west-1\n- us-east-1\n'],
    '/object.json': [200, '{"regions": ["eu-west-1"]}'],
    '/scalar.json': [200, '42'],
    '/missing.json': [404, 'not here'],
    '/broken': [200, '{"a": [1, 2'],
    '/huge.json': [200, `[${'"x",'.repeat(400_000)}"x"]`],
  };
  const server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers: the 5 s timeout ends the call
    const [status, body] = routes[req.url ?? ''] ?? [404, ''];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

for (const engine of testEngines()) {
  describe(`forms operations (${engine})`, () => {
    let server: TestServer;
    let org: TestOrg;
    let token: string;
    let other: { org: TestOrg; token: string };
    let values: { server: Server; url: string };
    const validate = (form_file: unknown, as = token, orgCanonical = org.canonical) =>
      server.request('POST', `/organizations/${orgCanonical}/forms/validate`, { token: as, body: { form_file } });
    const valuesRef = (url: string) =>
      server.request('POST', `/organizations/${org.canonical}/forms/values_ref`, { token, body: { url } });

    before(async () => {
      server = await startServer(engine);
      ({ org, token } = await tenant(server));
      other = await tenant(server);
      values = await upstream();
    });
    after(async () => {
      values.server.closeAllConnections();
      values.server.close();
      await server.close();
    });

    it('validateFormsFile answers no errors and the V3 tree for a valid file', async () => {
      const res = await validate(FORM);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.errors, []);
      assert.equal(res.body.data.forms.version, '3');
      const v = res.body.data.forms.use_cases[0].sections[0].groups[0].vars[0];
      assert.deepEqual(v, {
        name: 'Region',
        key: 'region',
        widget: 'radios',
        type: 'string',
        values: ['eu', 'us'],
        default: 'eu',
      });
    });

    it('validateFormsFile lists documented messages for a broken file, still with status 200', async () => {
      const broken = structuredClone(FORM);
      const group = broken.use_cases[0]!.sections[0]!.groups[0]!;
      group.technologies = ['pipeline', 'helm'];
      (group.vars[0] as any).widget = 'wheel';
      (group.vars[1] as any).default = 'two';
      group.vars.push({ ...group.vars[1]!, default: 3 } as any);
      const res = await validate(broken);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.errors, [
        'The Forms File has an invalid format: use case "default" invalid definition for group "Access" in section "Cloud": Forms Technology "helm" is unknown',
        'The Forms File has an invalid format: use case "default" invalid definition for variable "region" (key) in section "Cloud" of "Access": The Forms Widget has an invalid format',
        'The Forms File has an invalid format: use case "default" - key "size" has been found twice',
        'The Forms File has an invalid format: use case "default" invalid definition for variable "size" (key) in section "Cloud" of "Access": The Forms Default has an invalid format: "two" is not an integer',
      ]);
    });

    it('validateFormsFile answers 200 even when attributes have the wrong JSON types', async () => {
      const odd = structuredClone(FORM) as any;
      Object.assign(odd.use_cases[0].sections[0].groups[0].vars[0], {
        source: { a: 1 },
        required: 'yes',
        depends_on: [1, { b: 2 }],
        description: ['x'],
        unit: 5,
        folded: 'no',
        values_ref: 7,
        validations: 'nope',
        mismatch_values: 'x',
      });
      odd.use_cases[0].sections[0].groups[0].condition = 42;
      odd.use_cases[0].sections[0].groups[0].folded = 'x';
      const res = await validate(odd);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.data.errors.length >= 8, res.text);
      for (const file of [
        null,
        3,
        'x',
        [1],
        { use_cases: 'no' },
        { version: '9', use_cases: [{ name: 'a', sections: [1] }] },
      ]) {
        const r = await validate(file);
        assert.equal(r.status, 200, r.text);
        assert.ok(r.body.data.errors.length > 0, JSON.stringify(file));
      }
    });

    it('validateFormsFile reads a YAML text, legacy format included', async () => {
      const text =
        'default:\n  pipeline:\n    Repos:\n      - {name: Branch, key: branch, widget: simple_text, type: string, default: main}\n';
      const res = await validate(text);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.errors, []);
      assert.deepEqual(res.body.data.forms.use_cases[0].sections[0], {
        name: 'pipeline',
        groups: [
          {
            name: 'Repos',
            technologies: ['pipeline'],
            vars: [{ name: 'Branch', key: 'branch', widget: 'simple_text', type: 'string', default: 'main' }],
          },
        ],
      });
      const bad = await validate('use_cases: [\n');
      assert.equal(bad.status, 200);
      assert.match(bad.body.data.errors[0], /^The Forms File has an invalid format: form_file:\d+: /);
    });

    it('validateFormsFile needs a token of the organization', async () => {
      assert.equal(
        (await server.request('POST', `/organizations/${org.canonical}/forms/validate`, { body: { form_file: FORM } }))
          .status,
        401,
      );
      assert.equal((await validate(FORM, other.token)).status, 404);
      assert.equal((await validate(FORM, token, 'no-such-org')).status, 404);
    });

    it('valuesRefForms answers a JSON or YAML list (or map) from the URL', async () => {
      let res = await valuesRef(`${values.url}/regions.json`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, ['eu-west-1', 'eu-west-3']);
      res = await valuesRef(`${values.url}/regions.yaml`);
      assert.deepEqual(res.body.data, ['eu-west-1', 'us-east-1']);
      res = await valuesRef(`${values.url}/object.json`);
      assert.deepEqual(res.body.data, { regions: ['eu-west-1'] });
    });

    it('valuesRefForms refuses what it cannot use with a 422 naming the problem', async () => {
      const cases: [string, RegExp][] = [
        [`${values.url}/missing.json`, /answered 404/],
        [`${values.url}/scalar.json`, /not a list/],
        [`${values.url}/broken`, /neither JSON nor YAML/],
        [`${values.url}/huge.json`, /more than 1048576 bytes/],
        ['ftp://example.com/list.json', /only http and https/],
        ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
        [`${values.url}/hang`, /did not answer within 5000 ms/],
      ];
      for (const [url, message] of cases) {
        const res = await valuesRef(url);
        assert.equal(res.status, 422, `${url}: ${res.text}`);
        assert.match(res.body.errors[0].message, message, url);
        assert.match(res.body.errors[0].message, /^url: /);
      }
    });
  });
}
