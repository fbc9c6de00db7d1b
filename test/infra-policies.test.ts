import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { largePlan } from './fixtures/tfplan/large-plan.js';
import { makeApiKey } from './helpers/api-keys.js';
import { addMember, createUser, sessionToken, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { insertProjects } from './helpers/projects.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const SMALL_PLAN_FILE = new URL('./fixtures/tfplan/small.json', import.meta.url);
const SMALL_PLAN = readFileSync(SMALL_PLAN_FILE, 'utf8');
const CHECK_PLAN = new URL('../examples/infra-policies/check-plan.sh', import.meta.url);
const hasCurl = spawnSync('curl', ['--version']).status === 0;

/** Written the way Cycloid's examples are: Rego v0, `package example`, the plan imported as `tfplan`. */
const PUBLIC_BUCKETS = `package example

import input.tfplan as tfplan

deny[reason] {
  r := tfplan.resource_changes[_]
  r.type == "aws_s3_bucket"
  r.change.after.acl == "public-read"
  reason := sprintf("%s: bucket ACL %s is public", [r.address, r.change.after.acl])
}
`;

const REQUIRED_OWNER_TAG = `package tags
import rego.v1

deny contains msg if {
  some r in input.tfplan.resource_changes
  some action in r.change.actions
  action in {"create", "update"}
  not r.change.after.tags.owner
  msg := sprintf("%s: missing tag owner", [r.address])
}
`;

/** The same package as PUBLIC_BUCKETS: each policy is compiled on its own, so they cannot clash. */
const INSTANCE_TYPES = `package example

import input.tfplan as tfplan

allowed := {"t3.micro", "t3.small", "t3.medium"}

deny[reason] {
  r := tfplan.resource_changes[_]
  r.type == "aws_instance"
  t := r.change.after.instance_type
  not allowed[t]
  reason := sprintf("%s: instance type %s is not allowed", [r.address, t])
}
`;

const NO_PROD_DELETES = `package guard.prod
import rego.v1

deny contains msg if {
  input.tfrun.environment.canonical == "prod"
  some r in input.tfplan.resource_changes
  "delete" in r.change.actions
  msg := sprintf("%s: deleting in %s/%s needs a change request", [r.address, input.tfrun.project.canonical, input.tfrun.environment.canonical])
}
`;

const EBS_ENCRYPTION = `package ebs
import rego.v1

deny contains msg if {
  some r in input.tfplan.resource_changes
  r.type == "aws_ebs_volume"
  not r.change.after.encrypted
  msg := sprintf("%s: EBS volumes must be encrypted", [r.address])
}
`;

const ALWAYS = `package always
deny["always violated"] { true }
`;

/** Iterates far more than any budget allows. */
const LOOPING = `package looping
import rego.v1

deny contains msg if {
  some i in numbers.range(1, 2000)
  some j in numbers.range(1, 2000)
  some k in numbers.range(1, 2000)
  i + j + k < 0
  msg := "never"
}
`;

const DIVIDES_BY_ZERO = `package broken
import rego.v1

deny contains msg if {
  n := count(input.tfplan.resource_changes)
  x := n / 0
  msg := sprintf("%v", [x])
}
`;

/** Two values for one complete rule on any plan with two or more changes. */
const CONFLICTING = `package conflicting
import rego.v1

level := "low" if count(input.tfplan.resource_changes) > 0
level := "high" if count(input.tfplan.resource_changes) > 1

deny contains level if level == "high"
`;

for (const engine of testEngines()) {
  describe(`infra policies (${engine})`, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { user: TestUser; org: TestOrg; token: string };
    const policies = (suffix = '', o: TestOrg = org) => `/organizations/${o.canonical}/infra_policies${suffix}`;
    const validatePath = (project = 'shop', env = 'prod', o: TestOrg = org) =>
      `/organizations/${o.canonical}/projects/${project}/environments/${env}/validate_infra_policies`;
    const create = (body: Record<string, unknown>, as = token) =>
      server.request('POST', policies(), { token: as, body: { owner: admin.username, ...body } });
    const validate = (tfplan: string, options: { env?: string; as?: string; o?: TestOrg } = {}) =>
      server.request('POST', validatePath('shop', options.env, options.o), {
        token: options.as ?? token,
        body: { tfplan },
      });
    const setEnabled = async (canonical: string, enabled: boolean) => {
      const current = (await server.request('GET', policies(`/${canonical}`), { token })).body.data;
      const res = await server.request('PUT', policies(`/${canonical}`), {
        token,
        body: {
          name: current.name,
          body: current.body,
          severity: current.severity,
          description: current.description,
          owner: current.owner?.username ?? '',
          enabled,
        },
      });
      assert.equal(res.status, 200, res.text);
    };
    /** Violations as `canonical: reasons` per group, for exact comparisons. */
    const summary = (data: any) =>
      Object.fromEntries(
        ['criticals', 'warnings', 'advisories'].map((group) => [
          group,
          data[group].map((item: any) => `${item.infra_policy.canonical}: ${item.reasons.join(' | ')}`),
        ]),
      );

    before(async () => {
      server = await startServer(engine, {
        // A small step budget, so the looping policy is stopped quickly; plenty for real policies.
        env: { GANTRY_INFRA_POLICY_MAX_STEPS: '500000', GANTRY_INFRA_POLICY_TIMEOUT_MS: '20000' },
      });
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
      await insertProjects(server, org, { shop: ['prod', 'staging', 'dev'] });
      await insertProjects(server, other.org, { shop: ['prod'] });
    });
    after(() => server.close());

    it('plans above the default 1 MiB are accepted up to the operation limit (32 MiB), then 413 naming it', async () => {
      // The same plan, padded with an output value: about 3 MB of text.
      const padded = JSON.parse(SMALL_PLAN);
      padded.planned_values = { ...padded.planned_values, outputs: { padding: { value: 'x'.repeat(3_000_000) } } };
      const large = await validate(JSON.stringify(padded));
      assert.equal(large.status, 200, large.text.slice(0, 300));
      const tooLarge = await server.request('POST', validatePath(), {
        token,
        body: { tfplan: 'x'.repeat(33 * 1024 * 1024) },
      });
      assert.equal(tooLarge.status, 413, tooLarge.text.slice(0, 300));
      assert.match(tooLarge.body.errors[0].message, /33554432 bytes|32 MiB/);
    });

    it('a plan for a project or environment that does not exist is a 404', async () => {
      const project = await server.request('POST', validatePath('no-such-project'), {
        token,
        body: { tfplan: SMALL_PLAN },
      });
      assert.equal(project.status, 404, project.text);
      const environment = await validate(SMALL_PLAN, { env: 'no-such-env' });
      assert.equal(environment.status, 404, environment.text);
    });

    it('three policies of different severities: a plan gets exactly their violations, grouped by severity', async () => {
      for (const [name, body, severity] of [
        ['Public buckets', PUBLIC_BUCKETS, 'critical'],
        ['Required owner tag', REQUIRED_OWNER_TAG, 'warning'],
        ['Instance types', INSTANCE_TYPES, 'advisory'],
      ]) {
        const res = await create({ name, body, severity, enabled: true });
        assert.equal(res.status, 200, res.text);
      }
      const res = await validate(SMALL_PLAN);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(summary(res.body.data), {
        criticals: ['public-buckets: aws_s3_bucket.assets: bucket ACL public-read is public'],
        warnings: ['required-owner-tag: aws_instance.batch: missing tag owner'],
        advisories: ['instance-types: aws_instance.batch: instance type m5.4xlarge is not allowed'],
      });
      const item = res.body.data.criticals[0];
      assert.equal(item.infra_policy.name, 'Public buckets');
      assert.equal(item.infra_policy.severity, 'critical');
      assert.equal(item.infra_policy.body, PUBLIC_BUCKETS);
      assert.equal(item.infra_policy.owner.username, admin.username);
    });

    it('only enabled policies are evaluated; respected ones are not listed; input.tfrun names the scope', async () => {
      for (const [name, body, severity, enabled] of [
        ['No prod deletes', NO_PROD_DELETES, 'critical', true],
        ['EBS encryption', EBS_ENCRYPTION, 'warning', true],
        ['Always', ALWAYS, 'critical', false],
      ] as const) {
        assert.equal((await create({ name, body, severity, enabled })).status, 200);
      }
      const prod = await validate(SMALL_PLAN);
      assert.equal(prod.status, 200, prod.text);
      assert.deepEqual(summary(prod.body.data).criticals, [
        'no-prod-deletes: aws_db_instance.legacy: deleting in shop/prod needs a change request',
        'public-buckets: aws_s3_bucket.assets: bucket ACL public-read is public',
      ]);
      const staging = await validate(SMALL_PLAN, { env: 'staging' });
      assert.deepEqual(summary(staging.body.data).criticals, [
        'public-buckets: aws_s3_bucket.assets: bucket ACL public-read is public',
      ]);
      assert.deepEqual(summary(staging.body.data).warnings, [
        'required-owner-tag: aws_instance.batch: missing tag owner',
      ]);

      // A plan nothing is wrong with: three empty arrays.
      const clean = JSON.stringify({ format_version: '1.2', resource_changes: [] });
      const res = await validate(clean);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, { criticals: [], warnings: [], advisories: [] });
    });

    it('a plan of 1,000 resource changes is checked by every policy', async () => {
      const plan = JSON.stringify(largePlan(1000));
      const started = Date.now();
      const res = await validate(plan, { env: 'dev' });
      const ms = Date.now() - started;
      assert.equal(res.status, 200, res.text.slice(0, 500));
      const data = res.body.data;
      // As generated: the owner tag is missing on every 50th resource; instances (i % 5 === 0) are
      // x1.32xlarge when i % 97 === 0; buckets (i % 5 === 1) are public when i % 101 === 1.
      const missingOwner = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 50 === 0).length;
      const oversized = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 5 === 0 && i % 97 === 0).length;
      const publicBuckets = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 5 === 1 && i % 101 === 1);
      const reasons = (canonical: string, group: string) =>
        data[group].find((item: any) => item.infra_policy.canonical === canonical)?.reasons ?? [];
      assert.equal(reasons('required-owner-tag', 'warnings').length, missingOwner);
      assert.equal(reasons('instance-types', 'advisories').length, oversized);
      assert.equal(reasons('public-buckets', 'criticals').length, publicBuckets.length);
      assert.ok(ms < 15_000, `validation took ${ms} ms`);
    });

    it('a plan that is not a Terraform JSON plan is a 422 naming what is wrong', async () => {
      const cases: Array<[string, RegExp]> = [
        ['', /tfplan: is empty/],
        ['not json at all', /tfplan: is not JSON/],
        ['[1, 2, 3]', /tfplan: must be a JSON object, got an array/],
        ['{"resource_changes": []}', /tfplan: has no format_version/],
        ['{"format_version": "2.0", "resource_changes": []}', /format_version '2.0' is not a supported plan format/],
        ['{"format_version": "1.0", "values": {"root_module": {}}}', /a Terraform state, not a plan/],
        ['{"format_version": "1.2", "resource_changes": {}}', /resource_changes must be an array, got object/],
        [
          '{"format_version": "1.2", "resource_changes": [{"address": "a.b", "type": "a", "change": {}}]}',
          /resource_changes\[0\]\.change\.actions must be an array of strings/,
        ],
      ];
      for (const [tfplan, message] of cases) {
        const res = await validate(tfplan);
        assert.equal(res.status, 422, `${tfplan} -> ${res.text}`);
        assert.match(res.body.errors[0].message, message);
      }
      // The contract's body: tfplan is a string (an object is a 400 naming the field).
      const object = await server.request('POST', validatePath(), { token, body: { tfplan: JSON.parse(SMALL_PLAN) } });
      assert.equal(object.status, 400, object.text);
      assert.match(object.body.errors[0].message, /tfplan/);
    });

    it('a policy that loops or fails at run time makes the validation a 422 naming it, and the server stays up', async () => {
      assert.equal((await create({ name: 'Looping', body: LOOPING, severity: 'advisory', enabled: true })).status, 200);
      const looping = await validate(SMALL_PLAN);
      assert.equal(looping.status, 422, looping.text);
      assert.match(looping.body.errors[0].message, /infra policy 'looping': limit error/);
      assert.match(looping.body.errors[0].message, /budget|limit/);
      await setEnabled('looping', false);

      assert.equal(
        (await create({ name: 'Broken', body: DIVIDES_BY_ZERO, severity: 'warning', enabled: true })).status,
        200,
      );
      const broken = await validate(SMALL_PLAN);
      assert.equal(broken.status, 422, broken.text);
      assert.match(broken.body.errors[0].message, /infra policy 'broken': eval error at line 6, column \d+: .*divi/i);
      await setEnabled('broken', false);

      assert.equal(
        (await create({ name: 'Conflicting', body: CONFLICTING, severity: 'critical', enabled: true })).status,
        200,
      );
      const conflicting = await validate(SMALL_PLAN);
      assert.equal(conflicting.status, 422, conflicting.text);
      assert.match(
        conflicting.body.errors[0].message,
        /infra policy 'conflicting': eval error at line \d+, column \d+: .*multiple outputs/,
      );
      await setEnabled('conflicting', false);

      assert.equal((await validate(SMALL_PLAN)).status, 200);
      assert.equal((await server.request('GET', '/user', { token })).status, 200);
    });

    it('a policy body with a syntax or compile error is a 422 with line and column, and nothing is saved', async () => {
      const before = (await server.request('GET', policies(), { token })).body.pagination.total;
      const syntax = await create({
        name: 'Bad syntax',
        severity: 'critical',
        body: 'package bad\n\ndeny[msg] {\n  msg := "x"\n  input.a ==\n}\n',
      });
      assert.equal(syntax.status, 422, syntax.text);
      assert.match(syntax.body.errors[0].message, /^body: syntax error at line \d+, column \d+: /);
      assert.match(syntax.body.errors[0].details[0], /^bad-syntax\.rego:\d+:\d+: /);

      const unsafe = await create({
        name: 'Unsafe',
        severity: 'critical',
        body: 'package bad\n\ndeny[msg] {\n  x > 1\n}\n',
      });
      assert.equal(unsafe.status, 422, unsafe.text);
      assert.match(unsafe.body.errors[0].message, /^body: invalid policy at line 4, column 3: var x is unsafe/);

      const noPackage = await create({ name: 'No package', severity: 'critical', body: 'deny[msg] { msg := "x" }' });
      assert.equal(noPackage.status, 422, noPackage.text);
      assert.match(noPackage.body.errors[0].message, /^body: syntax error at line 1, column 1/);

      const deep = await create({
        name: 'Deep',
        severity: 'critical',
        body: `package deep\np := ${'['.repeat(20_000)}1${']'.repeat(20_000)}\n`,
      });
      assert.equal(deep.status, 422, deep.text.slice(0, 300));
      assert.match(deep.body.errors[0].message, /^body: invalid policy: .*too deeply/);

      assert.equal((await server.request('GET', policies(), { token })).body.pagination.total, before);

      // An update with a broken body changes nothing either.
      const kept = await server.request('PUT', policies('/public-buckets'), {
        token,
        body: {
          name: 'Renamed',
          body: 'package x\ndeny[',
          severity: 'advisory',
          enabled: false,
          description: '',
          owner: '',
        },
      });
      assert.equal(kept.status, 422, kept.text);
      assert.match(kept.body.errors[0].message, /line 2, column/);
      const after = await server.request('GET', policies('/public-buckets'), { token });
      assert.equal(after.body.data.name, 'Public buckets');
      assert.equal(after.body.data.body, PUBLIC_BUCKETS);
    });

    it('createInfraPolicy derives the canonical, refuses duplicates and strangers as owners', async () => {
      const created = await create({
        name: 'Tagging Rules (EU)',
        body: ALWAYS,
        severity: 'advisory',
        description: 'Every resource is tagged',
      });
      assert.equal(created.status, 200, created.text);
      const p = created.body.data;
      assert.equal(p.canonical, 'tagging-rules-eu');
      assert.equal(p.enabled, false);
      assert.equal(p.description, 'Every resource is tagged');
      assert.equal(p.owner.username, admin.username);
      assert.ok(p.id > 0 && p.created_at > 0 && p.updated_at >= p.created_at);

      const cases: Array<[Record<string, unknown>, number, RegExp]> = [
        [
          { name: 'Tagging rules (EU)', body: ALWAYS, severity: 'advisory' },
          409,
          /canonical: infra policy 'tagging-rules-eu' already exists/,
        ],
        [{ name: 'Stranger', body: ALWAYS, severity: 'advisory', owner: other.user.username }, 422, /owner: /],
        [{ name: 'Bad severity', body: ALWAYS, severity: 'fatal' }, 400, /severity/],
        [{ name: 'No body', severity: 'advisory' }, 400, /body/],
        [{ name: '   x  ', body: ALWAYS, severity: 'advisory', canonical: 'spaces' }, 422, /name: /],
        [
          { name: 'Huge', body: `${ALWAYS}#${'x'.repeat(70_000)}`, severity: 'advisory' },
          422,
          /body: must have at most/,
        ],
        [{ name: 'Extra', body: ALWAYS, severity: 'advisory', rules: [] }, 400, /rules/],
      ];
      for (const [body, status, message] of cases) {
        const res = await create(body);
        assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 200)} -> ${res.text.slice(0, 300)}`);
        assert.match(res.body.errors[0].message, message);
      }
      const events = await server.database.db
        .selectFrom('events')
        .select('message')
        .where('organization_id', '=', org.id)
        .where('title', '=', 'organization:infra_policy:create')
        .execute();
      assert.ok(events.some((e) => e.message.includes('infra_policy:tagging-rules-eu')));
    });

    it('getInfraPolicies filters by name, severity, enabled and canonical, pages and orders', async () => {
      const list = (query: string) => server.request('GET', `${policies()}?${query}`, { token });
      const canonicals = (res: any) => res.body.data.map((p: any) => p.canonical);
      assert.deepEqual(canonicals(await list('infra_policy_severity=advisory&order_by=canonical:asc')), [
        'instance-types',
        'looping',
        'tagging-rules-eu',
      ]);
      assert.deepEqual(canonicals(await list('infra_policy_name=PUBLIC')), ['public-buckets']);
      assert.deepEqual(canonicals(await list('infra_policy_canonical=ebs-encryption')), ['ebs-encryption']);
      const enabled = canonicals(await list('infra_policy_enabled=true&order_by=infra_policy_name:desc'));
      assert.deepEqual(enabled, [
        'required-owner-tag',
        'public-buckets',
        'no-prod-deletes',
        'instance-types',
        'ebs-encryption',
      ]);
      const disabled = canonicals(await list('infra_policy_enabled=false&order_by=canonical:asc'));
      assert.deepEqual(disabled, ['always', 'broken', 'conflicting', 'looping', 'tagging-rules-eu']);
      const page = await list('order_by=canonical:asc&page_index=2&page_size=3');
      assert.deepEqual(canonicals(page), ['ebs-encryption', 'instance-types', 'looping']);
      assert.deepEqual(page.body.pagination, { index: 2, size: 3, total: 10 });
      const one = (await list('infra_policy_canonical=always')).body.data[0];
      assert.deepEqual(canonicals(await list(`infra_policy_created_at=${one.created_at}`)).includes('always'), true);
      assert.equal((await list('order_by=body:asc')).status, 400);
      assert.equal((await list('infra_policy_severity=fatal')).status, 400);
    });

    it('updateInfraPolicy replaces every field but the canonical; deleteInfraPolicy removes it', async () => {
      const res = await server.request('PUT', policies('/tagging-rules-eu'), {
        token,
        body: {
          name: 'Tagging rules',
          body: EBS_ENCRYPTION,
          severity: 'warning',
          enabled: true,
          description: '',
          owner: admin.username,
        },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.canonical, 'tagging-rules-eu');
      assert.equal(res.body.data.name, 'Tagging rules');
      assert.equal(res.body.data.severity, 'warning');
      assert.equal(res.body.data.enabled, true);
      assert.equal(res.body.data.description, '');
      assert.equal(res.body.data.body, EBS_ENCRYPTION);

      const missing = await server.request('PUT', policies('/tagging-rules-eu'), {
        token,
        body: { name: 'Tagging rules', body: EBS_ENCRYPTION, severity: 'warning' },
      });
      assert.equal(missing.status, 400, missing.text);

      assert.equal((await server.request('DELETE', policies('/tagging-rules-eu'), { token })).status, 204);
      assert.equal((await server.request('GET', policies('/tagging-rules-eu'), { token })).status, 404);
      assert.equal((await server.request('DELETE', policies('/tagging-rules-eu'), { token })).status, 404);
      const titles = (
        await server.database.db.selectFrom('events').select('title').where('organization_id', '=', org.id).execute()
      ).map((e) => e.title);
      assert.ok(titles.includes('organization:infra_policy:update'));
      assert.ok(titles.includes('organization:infra_policy:delete'));
    });

    it('owners manage their own policy; members read; validating needs the validate right', async () => {
      const owner = await createUser(server);
      await addMember(server, org, owner, 'default-no-permissions');
      const ownerToken = sessionToken(server, owner);
      const member = await createUser(server);
      await addMember(server, org, member, 'organization-member');
      const memberToken = sessionToken(server, member);

      assert.equal(
        (await create({ name: 'Owned', body: ALWAYS, severity: 'advisory', owner: owner.username })).status,
        200,
      );
      const mine = await server.request('GET', policies('/owned'), { token: ownerToken });
      assert.equal(mine.status, 200, mine.text);
      assert.deepEqual(
        (await server.request('GET', policies(), { token: ownerToken })).body.data.map((p: any) => p.canonical),
        ['owned'],
      );
      assert.equal((await server.request('GET', policies('/public-buckets'), { token: ownerToken })).status, 403);
      const update = await server.request('PUT', policies('/owned'), {
        token: ownerToken,
        body: {
          name: 'Owned',
          body: ALWAYS,
          severity: 'critical',
          enabled: false,
          description: 'mine',
          owner: owner.username,
        },
      });
      assert.equal(update.status, 200, update.text);

      assert.equal((await server.request('GET', policies('/public-buckets'), { token: memberToken })).status, 200);
      const denied = await create({ name: 'Not allowed', body: ALWAYS, severity: 'advisory' }, memberToken);
      assert.equal(denied.status, 403);
      assert.equal((await validate(SMALL_PLAN, { as: memberToken })).status, 403);
      assert.equal((await validate(SMALL_PLAN, { as: ownerToken })).status, 403);
      assert.equal((await server.request('DELETE', policies('/owned'), { token: ownerToken })).status, 204);
    });

    it('the pipeline task script posts a plan and fails on a critical violation', {
      skip: !hasCurl && 'no curl',
    }, async () => {
      const key = await makeApiKey(server, org, admin, {
        rules: [{ action: 'organization:infra_policy:validate', resources: [] }],
      });
      const dir = mkdtempSync(join(tmpdir(), 'gantry-check-plan-'));
      try {
        const clean = join(dir, 'clean.json');
        writeFileSync(clean, JSON.stringify({ format_version: '1.2', resource_changes: [] }, null, 2));
        const run = (plan: string, env: Record<string, string> = {}) =>
          new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            // Asynchronous: the server answering the script runs in this process.
            const child = spawn('sh', [CHECK_PLAN.pathname, plan], {
              env: {
                PATH: process.env.PATH ?? '/usr/bin:/bin',
                GANTRY_URL: server.url,
                GANTRY_API_KEY: key.token,
                GANTRY_ORG: org.canonical,
                GANTRY_PROJECT: 'shop',
                GANTRY_ENV: 'prod',
                ...env,
              },
            });
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (d) => (stdout += d));
            child.stderr.on('data', (d) => (stderr += d));
            child.on('close', (status) => resolve({ status, stdout, stderr }));
          });
        const blocked = await run(SMALL_PLAN_FILE.pathname);
        assert.equal(blocked.status, 1, blocked.stderr);
        assert.match(
          blocked.stdout,
          /^critical public-buckets: aws_s3_bucket\.assets: bucket ACL public-read is public$/m,
        );
        assert.match(blocked.stdout, /^warning required-owner-tag: aws_instance\.batch: missing tag owner$/m);
        assert.match(blocked.stdout, /infra policies: 2 critical, 1 warning, 1 advisory violation\(s\)/);
        assert.match(blocked.stderr, /blocked/);

        assert.equal((await run(SMALL_PLAN_FILE.pathname, { GANTRY_FAIL_ON: 'none' })).status, 0);
        const passed = await run(clean, { GANTRY_FAIL_ON: 'advisory' });
        assert.equal(passed.status, 0, passed.stderr);
        assert.match(passed.stdout, /0 critical, 0 warning, 0 advisory/);

        const refused = await run(SMALL_PLAN_FILE.pathname, { GANTRY_API_KEY: 'not-a-key' });
        assert.equal(refused.status, 2);
        assert.match(refused.stderr, /answered 401/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("another organization's token gets 404 and learns nothing", async () => {
      const as = other.token;
      for (const [method, path, body] of [
        ['GET', policies(), undefined],
        ['GET', policies('/public-buckets'), undefined],
        [
          'PUT',
          policies('/public-buckets'),
          { name: 'x-x', body: ALWAYS, severity: 'advisory', enabled: true, description: '', owner: '' },
        ],
        ['DELETE', policies('/public-buckets'), undefined],
        ['POST', validatePath(), { tfplan: SMALL_PLAN }],
      ] as const) {
        const res = await server.request(method, path, { token: as, body });
        assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
        assert.ok(!res.text.includes('bucket ACL'));
      }
      // Their own organization has no policies: a clean report, none of this organization's.
      const theirs = await validate(SMALL_PLAN, { as, o: other.org });
      assert.equal(theirs.status, 200, theirs.text);
      assert.deepEqual(theirs.body.data, { criticals: [], warnings: [], advisories: [] });
      assert.equal((await server.request('GET', policies('/public-buckets'), { token })).status, 200);
    });
  });
}
