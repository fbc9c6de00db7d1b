import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { parse } from 'yaml';
import { catalogGit } from '../src/modules/catalog/git.js';
import { reindexAll } from '../src/modules/catalog/reindex.js';
import { loadMasterKey, Vault } from '../src/platform/crypto/sealing.js';
import { bareOf, catalogRepo, commitFiles, FIXTURE_STACKS } from './helpers/catalog-repos.js';
import { createOrg, type TestOrg, type TestUser, tenant } from './helpers/factories.js';
import { missingPrograms } from './helpers/git-servers.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const FIXTURE_2023 = join(FIXTURE_STACKS, '2023');

/** Every `.cycloid.yml` of a folder, as [repository path, parsed as Go's yaml.v2 would]. */
function stackFiles(root: string): [string, Record<string, any>][] {
  const out: [string, Record<string, any>][] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name === '.cycloid.yml' || name === '.cycloid.yaml') {
        out.push([
          relative(root, full),
          parse(readFileSync(full, 'utf8'), { version: '1.1', merge: true, uniqueKeys: false }),
        ]);
      }
    }
  };
  walk(root);
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}

const skip = missingPrograms('git');

/** The public catalog as a bare repository, built once for every engine (each gets its own branch). */
const repoRoot = mkdtempSync(join(tmpdir(), 'gantry-catalog-'));
let fixtureRepo: string | undefined;
function fixtureUrl(): string {
  fixtureRepo ??= catalogRepo(repoRoot, 'public-stacks', {
    main: { copy: FIXTURE_2023 },
    empty: { files: { 'README.md': '# nothing here yet\n' } },
  });
  return fixtureRepo;
}
after(() => rmSync(repoRoot, { recursive: true, force: true }));

for (const engine of testEngines()) {
  describe(`catalog repositories and stacks (${engine})`, { skip }, () => {
    let server: TestServer;
    let admin: TestUser;
    let org: TestOrg;
    let token: string;
    let other: { org: TestOrg; token: string };
    let root: string;
    let url: string;
    /** This engine's branch of the public catalog (the suite pushes to it). */
    const branch = `catalog-${engine}`;
    const sources = (suffix = '') => `/organizations/${org.canonical}/service_catalog_sources${suffix}`;
    const stacks = (suffix = '', o = org) => `/organizations/${o.canonical}/service_catalogs${suffix}`;
    const create = (body: Record<string, unknown>, as = token) =>
      server.request('POST', sources(), { token: as, body });
    const sourceCount = async () =>
      Number(
        (
          await server.database.db
            .selectFrom('catalog_sources')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    before(async () => {
      server = await startServer(engine, { env: { GANTRY_GIT_ALLOW_LOCAL: 'true' } });
      ({ user: admin, org, token } = await tenant(server));
      other = await tenant(server);
      root = mkdtempSync(join(tmpdir(), 'gantry-catalog-'));
      url = fixtureUrl();
      commitFiles(bareOf(url), branch, {}, 'main');
    });
    after(async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    });

    let first: any;

    it('createServiceCatalogSource fetches and indexes one stack per readable .cycloid.yml, nested ones too', async () => {
      const res = await create({ name: 'Public stacks', url, branch, visibility: 'shared' });
      assert.equal(res.status, 200, res.text);
      first = res.body.data;
      assert.equal(first.canonical, 'public-stacks');
      assert.equal(first.owner.username, admin.username);
      assert.ok(first.refreshed_at > 0);

      const files = stackFiles(FIXTURE_2023);
      // Two nested copies repeat their parent's canonical: the outer stack is kept, the copy reported.
      const canonicals = new Set(files.map(([, doc]) => doc.canonical));
      assert.equal(files.length, 32);
      assert.equal(canonicals.size, 30);
      assert.equal(first.stack_count, 30);
      assert.equal(first.service_catalogs.length, 30);

      const byCanonical = new Map<string, any>(first.service_catalogs.map((s: any) => [s.canonical, s]));
      const seen = new Set<string>();
      for (const [path, doc] of files) {
        if (seen.has(doc.canonical)) continue;
        seen.add(doc.canonical);
        const stack = byCanonical.get(doc.canonical);
        assert.ok(stack, `stack of ${path}`);
        const dir = path.split('/').slice(0, -1).join('/') || '/';
        assert.equal(stack.directory, dir, path);
        assert.equal(stack.ref, `${org.canonical}:${doc.canonical}`);
        assert.equal(stack.name, doc.name, path);
        assert.equal(stack.author, doc.author ?? '', path);
        assert.equal(stack.description, doc.description ?? '', path);
        assert.deepEqual(stack.keywords, (doc.keywords ?? []).map(String), path);
        assert.equal(stack.image, typeof doc.image === 'string' ? doc.image.trim() || undefined : undefined, path);
        assert.deepEqual(
          stack.technologies,
          (doc.technologies ?? []).map((t: any) => ({
            technology: t.technology,
            ...(t.version !== undefined && t.version !== null ? { version: String(t.version) } : {}),
          })),
          path,
        );
        assert.equal(stack.version, doc.version === undefined ? '1' : String(doc.version), path);
        assert.equal(stack.blueprint, doc.template === true, path);
        assert.equal(stack.visibility, 'shared');
        assert.equal(stack.service_catalog_source_canonical, 'public-stacks');
        assert.equal(stack.organization_canonical, org.canonical);
        assert.equal(stack.latest, false);
        const providers = new Set(
          Object.values(doc.config ?? {})
            .map((u: any) => u?.cloud_provider)
            .filter(Boolean),
        );
        assert.deepEqual(stack.cloud_providers.map((p: any) => p.canonical).sort(), [...providers].sort(), path);
      }
      assert.ok(byCanonical.get('test_stack_rp'), 'a stack nested two levels down is indexed');
      assert.equal(byCanonical.get('stack-dummy').form_enabled, true);
    });

    it('validateServiceCatalogSource reports the stacks that cannot be read, with file and reason', async () => {
      const res = await server.request('POST', sources('/public-stacks/validate'), { token });
      assert.equal(res.status, 422, res.text);
      const details: string[] = res.body.errors[0].details;
      assert.deepEqual(
        details.map((d) => d.split(':')[0]),
        ['infra-amazon-s3/infra-amazon-s3/.cycloid.yml', 'stack-concourse-server/stack-concourse-server/.cycloid.yml'],
      );
      assert.match(
        details[0]!,
        /canonical: 'infra-amazon-s3' is already the canonical of the stack in infra-amazon-s3/,
      );
    });

    it('a repository whose owner deleted their account is still served, without an owner', async () => {
      const db = server.database.db;
      await db.updateTable('catalog_sources').set({ owner_user_id: null }).where('id', '=', first.id).execute();
      try {
        const res = await server.request('GET', sources(`/${first.canonical}`), { token });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.data.owner, undefined);
        const list = await server.request('GET', sources(), { token });
        assert.equal(list.status, 200, list.text);
      } finally {
        const owner = await db
          .selectFrom('users')
          .select('id')
          .where('username', '=', admin.username)
          .executeTakeFirstOrThrow();
        await db.updateTable('catalog_sources').set({ owner_user_id: owner.id }).where('id', '=', first.id).execute();
      }
    });

    it('a second refresh changes nothing and keeps every id', async () => {
      const res = await server.request('POST', sources('/public-stacks/refresh'), { token });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, { created: [], updated: [], deleted: [] });
      const list = await server.request('GET', stacks(), { token });
      assert.deepEqual(
        list.body.data.map((s: any) => s.id).sort(),
        first.service_catalogs.map((s: any) => s.id).sort(),
      );
    });

    it('refresh after a push returns created, updated and deleted, keeping ids, visibility and team', async () => {
      const dummy = first.service_catalogs.find((s: any) => s.canonical === 'stack-dummy');
      const team = await server.request('POST', `/organizations/${org.canonical}/teams`, {
        token,
        body: { name: 'Stack keepers', roles_canonical: ['organization-member'] },
      });
      assert.equal(team.status, 200, team.text);
      const upd = await server.request('PUT', stacks(`/${dummy.ref}`), {
        token,
        body: { visibility: 'hidden', team_canonical: 'stack-keepers' },
      });
      assert.equal(upd.status, 200, upd.text);
      assert.equal(upd.body.data.visibility, 'hidden');
      assert.equal(upd.body.data.team.canonical, 'stack-keepers');

      const dummyYml = readFileSync(join(FIXTURE_2023, 'stack-dummy/.cycloid.yml'), 'utf8');
      commitFiles(bareOf(url), branch, {
        'stack-dummy/.cycloid.yml': dummyYml.replace("name: 'Dummy stack'", "name: 'Dummy stack, renamed'"),
        'stack-jenkins/.cycloid.yml': null,
        'deep/er/stack-new/.cycloid.yml': "version: '4'\nname: New\ncanonical: stack-new\nauthor: Us\nconfig:\n",
      });
      const res = await server.request('POST', sources('/public-stacks/refresh'), { token });
      assert.equal(res.status, 200, res.text);
      const changes = res.body.data;
      assert.deepEqual(
        changes.created.map((s: any) => [s.canonical, s.directory, s.latest, s.visibility]),
        [['stack-new', 'deep/er/stack-new', true, 'local']],
      );
      assert.deepEqual(
        changes.updated.map((s: any) => [s.id, s.name, s.visibility, s.team?.canonical]),
        [[dummy.id, 'Dummy stack, renamed', 'hidden', 'stack-keepers']],
      );
      assert.deepEqual(
        changes.deleted.map((s: any) => s.canonical),
        ['stack-jenkins'],
      );
      const again = await server.request('POST', sources('/public-stacks/refresh'), { token });
      assert.deepEqual(again.body.data, { created: [], updated: [], deleted: [] });
    });

    it('the periodic re-index reads only repositories whose branch moved', async () => {
      const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
      const deps = {
        git: catalogGit(server.config, log),
        vault: await Vault.open(server.database.db, loadMasterKey(server.config.dataDir, server.config.masterKey)),
        urlPolicy: { outbound: server.config.outbound, allowLocal: true },
        log,
      };
      const ctx = { db: server.database.db, signal: new AbortController().signal, log };
      const idle = await reindexAll(deps, ctx);
      assert.equal(idle.indexed, 0);
      assert.equal(idle.failed, 0);
      assert.ok(idle.checked >= 1);

      commitFiles(bareOf(url), branch, { 'stack-golang/README.md': '# golang, periodically\n' });
      const moved = await reindexAll(deps, ctx);
      assert.equal(moved.indexed, 1);
      const golang = await server.request('GET', stacks(`/${org.canonical}:stack-golang`), { token });
      assert.equal(golang.body.data.readme, '# golang, periodically\n');
      assert.equal((await reindexAll(deps, ctx)).indexed, 0);
    });

    it('an empty branch gives no stacks; a broken stack file is recorded and the others indexed', async () => {
      const empty = await create({ name: 'Empty', canonical: 'empty-catalog', url, branch: 'empty' });
      assert.equal(empty.status, 200, empty.text);
      assert.equal(empty.body.data.stack_count, 0);
      assert.deepEqual(empty.body.data.service_catalogs, []);

      const untidy = catalogRepo(root, 'untidy', {
        main: {
          files: {
            'good/.cycloid.yml': 'name: Good\ncanonical: untidy-good\nauthor: A\ndescription: d\ndescription: last\n',
            'tabs/.cycloid.yml': 'name: Tabs\n\tcanonical: untidy-tabs\n',
            'nocanon/.cycloid.yml': 'name: No canonical\n',
          },
        },
      });
      const res = await create({ name: 'Untidy', url: untidy, branch: 'main' });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.data.service_catalogs.map((s: any) => [s.canonical, s.description, s.visibility]),
        [['untidy-good', 'last', 'local']],
      );
      const check = await server.request('POST', sources('/untidy/validate'), { token });
      assert.equal(check.status, 422);
      const details: string[] = check.body.errors[0].details;
      assert.equal(details.length, 2);
      assert.match(details[0]!, /^nocanon\/\.cycloid\.yml: canonical: missing/);
      assert.match(details[1]!, /^tabs\/\.cycloid\.yml:2: /);
    });

    it('bad input is refused naming the field, and nothing is written', async () => {
      const before = await sourceCount();
      const cases: [Record<string, unknown>, number, RegExp][] = [
        [{ name: 'X', url: 'http://example.com/repo.git', branch: 'main' }, 422, /^url: .*rule "scheme"/],
        [{ name: 'X', url, branch: 'no-such-branch' }, 422, /^branch: /],
        [{ name: 'X', url: `file://${root}/missing.git`, branch: 'main' }, 422, /^url: /],
        [
          { name: 'X', url, branch: 'main', credential_canonical: 'no-such-cred' },
          422,
          /^credential_canonical: no credential 'no-such-cred'$/,
        ],
        [{ name: 'X', url, branch: 'main', visibility: 'public' }, 422, /^visibility: /],
        [{ name: 'X', url, branch: 'main', team_canonical: 'no-such-team' }, 422, /^team_canonical: /],
        [{ name: 'Public stacks', url, branch: 'main' }, 409, /^canonical: /],
      ];
      for (const [body, status, message] of cases) {
        const res = await create(body);
        assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.body.errors[0].message, message, JSON.stringify(body));
      }
      const aws = await server.request('POST', `/organizations/${org.canonical}/credentials`, {
        token,
        body: {
          name: 'Cloud',
          canonical: 'cloud-keys',
          type: 'aws',
          path: 'cloud-keys',
          raw: { access_key: 'AKIA', secret_key: 's' },
        },
      });
      assert.equal(aws.status, 200, aws.text);
      const wrongType = await create({
        name: 'X',
        url,
        branch: 'main',
        credential_canonical: 'cloud-keys',
      });
      assert.equal(wrongType.status, 422, wrongType.text);
      assert.match(
        wrongType.body.errors[0].message,
        /^credential_canonical: credential 'cloud-keys' is of type 'aws'; 'ssh' or 'basic_auth' is needed here$/,
      );
      assert.equal(await sourceCount(), before);
    });

    it('stacks are listed for the organization and its children (shared only), never for others', async () => {
      const child = await createOrg(server, null, { parent: org });
      const own = await server.request('GET', stacks(), { token });
      assert.equal(own.status, 200);
      // The hidden stack is not listed.
      assert.ok(!own.body.data.some((s: any) => s.canonical === 'stack-dummy'));
      assert.equal(own.body.pagination.total, own.body.data.length);

      const fromChild = await server.request('GET', stacks('', child), { token });
      assert.equal(fromChild.status, 200, fromChild.text);
      const childRefs = fromChild.body.data.map((s: any) => s.ref);
      assert.ok(childRefs.includes(`${org.canonical}:stack-golang`), 'a shared stack of the parent');
      assert.ok(!childRefs.includes(`${org.canonical}:untidy-good`), 'a local stack of the parent is not');
      const childOwn = await server.request('GET', `${stacks('', child)}?service_catalog_own=true`, { token });
      assert.deepEqual(childOwn.body.data, []);
      const shared = await server.request('GET', stacks(`/${org.canonical}:stack-golang`, child), { token });
      assert.equal(shared.status, 200, shared.text);
      assert.equal(shared.body.data.trusted, true);

      const templates = await server.request('GET', `${stacks()}?service_catalog_template=true`, { token });
      assert.equal(templates.status, 200);
      assert.ok(templates.body.data.every((s: any) => s.blueprint === true));

      for (const [method, path] of [
        ['GET', stacks(`/${org.canonical}:stack-golang`, other.org)],
        ['GET', stacks(`/${org.canonical}:stack-golang`)],
        ['GET', `/organizations/${org.canonical}/service_catalog_sources/public-stacks`],
        ['POST', `/organizations/${org.canonical}/service_catalog_sources/public-stacks/refresh`],
      ] as const) {
        const res = await server.request(method, path, { token: other.token });
        assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      }
      const viaOther = await server.request('GET', stacks(`/${org.canonical}:stack-golang`, other.org), {
        token: other.token,
      });
      assert.equal(viaOther.status, 404);
    });

    it('getServiceCatalogConfig gives each use case with its files, rendered for a component when asked', async () => {
      const raw = await server.request('GET', stacks(`/${org.canonical}:stack-golang/config`), { token });
      assert.equal(raw.status, 200, raw.text);
      const config = raw.body.data;
      assert.deepEqual(Object.keys(config), ['default']);
      const pipeline = readFileSync(join(FIXTURE_2023, 'stack-golang/pipeline/pipeline.yml'), 'utf8');
      assert.equal(config.default.pipeline.pipeline.content, pipeline);

      const placed = await server.request(
        'GET',
        stacks(
          `/${org.canonical}:stack-hello-world/config?use_case=aws&project_canonical=shop&environment_canonical=prod`,
        ),
        { token },
      );
      assert.equal(placed.status, 200, placed.text);
      const aws = placed.body.data.aws;
      assert.deepEqual(Object.keys(placed.body.data), ['aws']);
      // This stack's use cases name no cloud provider.
      assert.equal(aws.cloud_provider, '');
      assert.equal(aws.pipeline.variables.path, 'pipeline/variables-aws.sample.yml');
      assert.equal(aws.pipeline.variables.destination, 'shop/pipeline/variables-aws-prod.yml');
      assert.equal(aws.terraform.aws.path, 'terraform-aws/main.tf.sample');
      assert.ok(!aws.pipeline.variables.content.includes('($ project $)'));

      const missing = await server.request('GET', stacks(`/${org.canonical}:stack-golang/config?use_case=nope`), {
        token,
      });
      assert.equal(missing.status, 404);
      assert.match(missing.body.errors[0].message, /use_case/);
    });

    it('dependencies are checked against the visible stacks; diagrams and their PNG image are kept', async () => {
      const url2 = catalogRepo(root, 'with-deps', {
        main: {
          files: {
            '.cycloid.yml': [
              'canonical: needs-things',
              'name: Needs things',
              'dependencies:',
              `  - {ref: '${org.canonical}:stack-golang', required: true}`,
              "  - {ref: 'elsewhere:abc', required: true}",
              "  - {ref: 'elsewhere:dep', required: false}",
              '',
            ].join('\n'),
          },
        },
      });
      assert.equal((await create({ name: 'With deps', url: url2, branch: 'main' })).status, 200);
      const deps = await server.request('GET', stacks(`/${org.canonical}:needs-things/dependencies/validate`), {
        token,
      });
      assert.equal(deps.status, 200, deps.text);
      assert.deepEqual(deps.body.data, {
        errors: ["dependency 'elsewhere:abc' is required to deploy the stack"],
        warnings: ["dependency 'elsewhere:dep' is recommended to deploy the stack"],
      });

      const diagram = stacks(`/${org.canonical}:needs-things/terraform/diagram`);
      assert.equal((await server.request('GET', diagram, { token })).status, 404);
      const put = await server.request('PUT', diagram, { token, body: { nodes: [{ id: 'a' }], edges: [] } });
      assert.equal(put.status, 204, put.text);
      const got = await server.request('GET', diagram, { token });
      assert.deepEqual(got.body.data, { nodes: [{ id: 'a' }], edges: [] });

      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16)]);
      const image = `${diagram}/image`;
      const bad = await server.request('PUT', image, {
        token,
        body: { image: Buffer.from('GIF89a-nope').toString('base64') },
      });
      assert.equal(bad.status, 422, bad.text);
      assert.match(bad.body.errors[0].message, /^image: /);
      const ok = await server.request('PUT', image, { token, body: { image: png.toString('base64') } });
      assert.equal(ok.status, 204, ok.text);
      const back = await server.request('GET', image, { token });
      assert.equal(back.body.data.image, png.toString('base64'));
    });

    it('getRepoBranches lists the branches of a URL ([] for an empty repository)', async () => {
      const res = await server.request(
        'GET',
        `/organizations/${org.canonical}/branches?git_url=${encodeURIComponent(url)}`,
        { token },
      );
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.data.includes(branch));
      assert.deepEqual(
        res.body.data.filter((b: string) => !b.startsWith('catalog-')),
        ['empty', 'main'],
      );
      const emptyUrl = catalogRepo(root, 'nothing', {});
      const none = await server.request(
        'GET',
        `/organizations/${org.canonical}/branches?git_url=${encodeURIComponent(emptyUrl)}`,
        { token },
      );
      assert.deepEqual(none.body.data, []);
      const refused = await server.request(
        'GET',
        `/organizations/${org.canonical}/branches?git_url=${encodeURIComponent('http://example.com/x.git')}`,
        { token },
      );
      assert.equal(refused.status, 422);
      assert.match(refused.body.errors[0].message, /^git_url: /);
    });

    it('deleting a stack and a catalog repository', async () => {
      const del = await server.request('DELETE', stacks(`/${org.canonical}:stack-new`), { token });
      assert.equal(del.status, 204, del.text);
      const gone = await server.request('GET', stacks(`/${org.canonical}:stack-new`), { token });
      assert.equal(gone.status, 404);
      const res = await server.request('DELETE', sources('/public-stacks'), { token });
      assert.equal(res.status, 204, res.text);
      const left = await server.database.db
        .selectFrom('catalog_stacks')
        .select('canonical')
        .where('organization_id', '=', org.id)
        .execute();
      assert.deepEqual(left.map((r) => r.canonical).sort(), ['needs-things', 'untidy-good']);
      const events = await server.database.db
        .selectFrom('events')
        .select('title')
        .where('organization_id', '=', org.id)
        .execute();
      const titles = new Set(events.map((e) => e.title));
      for (const action of ['create', 'refresh', 'delete']) {
        assert.ok(titles.has(`organization:service_catalog_source:${action}`), action);
      }
    });
  });
}
