// Stack rendering runs on worker threads: a template that works hard does not hold the event loop (other
// requests keep their latency), one past the render time limit is a 422, and a full queue a 503.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { catalogRepo } from './helpers/catalog-repos.js';
import { type TestOrg, tenant } from './helpers/factories.js';
import { missingPrograms } from './helpers/git-servers.js';
import { insertProjects } from './helpers/projects.js';
import { startServer, type TestServer } from './helpers/server.js';

/** ~2 million template steps: the engine's step budget stops it (a 422), after most of a second. */
const OVER_BUDGET = '($ range until 1000000 $)($ end $)\n';
/** Within the budget, yet about half a second of work per file on a quiet machine. */
const SLOW = '($ range $i := until 300000 $)($ $i $)($ end $)\n';

function stackFiles(name: string, terraform: Record<string, string>): Record<string, string> {
  const entries = Object.keys(terraform)
    .map((k) => `      ${k}: {path: '${k}.tf', destination: '($ .config_root $)/${k}.tf'}\n`)
    .join('');
  const files: Record<string, string> = {
    [`${name}/.cycloid.yml`]: `version: '4'\ncanonical: ${name}\nname: ${name}\nconfig:\n  default:\n    name: Default\n    pipeline:\n      pipeline: {path: pipeline.yml}\n      variables: {path: variables.yml, destination: '($ .config_root $)/variables.yml'}\n    terraform:\n${entries}`,
    [`${name}/.forms.yml`]:
      'use_cases:\n- name: default\n  sections:\n  - name: pipeline\n    groups:\n    - name: config\n      technologies: [pipeline]\n      vars:\n      - {name: Message, key: message, widget: simple_text, type: string, default: hello}\n',
    [`${name}/pipeline.yml`]: 'jobs: []\n',
    [`${name}/variables.yml`]: 'message: x\n',
  };
  for (const [k, text] of Object.entries(terraform)) files[`${name}/${k}.tf`] = text;
  return files;
}

/** The slowest answer of `GET /version`, asked every 20 ms while `work` runs. */
async function versionLatencyDuring(server: TestServer, token: string, work: Promise<unknown>): Promise<number> {
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  let worst = 0;
  let probes = 0;
  while (!done) {
    const started = performance.now();
    const res = await server.request('GET', '/version', { token });
    assert.equal(res.status, 200);
    worst = Math.max(worst, performance.now() - started);
    probes++;
    await new Promise((r) => setTimeout(r, 20));
  }
  await finished;
  assert.ok(probes >= 3, `${probes} probes while rendering`);
  return worst;
}

describe('stack rendering off the event loop', { skip: missingPrograms('git') }, () => {
  let server: TestServer;
  let org: TestOrg;
  let token: string;
  let root: string;

  const formsConfig = (stack: string) =>
    server.request('POST', `/organizations/${org.canonical}/projects/shop/environments/prod/forms/config`, {
      token,
      body: {
        service_catalog_ref: `${org.canonical}:${stack}`,
        use_case: 'default',
        component_canonical: 'web',
        vars: {},
      },
    });

  before(async () => {
    server = await startServer('sqlite', {
      env: {
        GANTRY_GIT_ALLOW_LOCAL: 'true',
        GANTRY_RENDER_WORKERS: '1',
        GANTRY_RENDER_MAX_QUEUE: '1',
        GANTRY_RENDER_TIMEOUT_MS: '5000',
      },
    });
    ({ org, token } = await tenant(server));
    root = mkdtempSync(join(tmpdir(), 'gantry-render-'));
    const url = catalogRepo(root, 'hostile', {
      main: {
        files: {
          ...stackFiles('over-budget', { main: OVER_BUDGET }),
          // Twenty files of half a second each: past the limit on any machine.
          ...stackFiles('too-slow', Object.fromEntries([...'abcdefghijklmnopqrst'].map((k) => [k, SLOW]))),
          ...stackFiles('quick', { main: 'name = "($ .component $)"\n' }),
        },
      },
    });
    const res = await server.request('POST', `/organizations/${org.canonical}/service_catalog_sources`, {
      token,
      body: { name: 'Hostile', url, branch: 'main' },
    });
    assert.equal(res.status, 200, res.text);
    await insertProjects(server, org, { shop: ['prod'] });
    // The worker starts on first use: start it here, so that timings below are renders only.
    assert.equal((await formsConfig('quick')).status, 200);
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a template that exhausts its budget is a 422, and GET /version keeps answering meanwhile', async () => {
    // The server runs in this process: its event loop is this one.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const rendering = formsConfig('over-budget');
    const worst = await versionLatencyDuring(server, token, rendering);
    const res = await rendering;
    const took = performance.now() - started;
    delay.disable();
    const blocked = delay.max / 1e6;
    console.log(
      `render ${took.toFixed(0)} ms; slowest concurrent GET /version ${worst.toFixed(1)} ms; event loop delay max ${blocked.toFixed(1)} ms`,
    );
    assert.ok(blocked < Math.max(150, took / 2), `the event loop was held ${blocked.toFixed(0)} ms`);
    assert.equal(res.status, 422, res.text);
    assert.match(res.body.errors[0].message, /main\.tf: template: .*exceeded the step budget/);
    // On the event loop, the probe would wait for the whole render; off it, a probe costs milliseconds.
    assert.ok(
      worst < Math.max(150, took / 2),
      `GET /version took up to ${worst.toFixed(0)} ms, the render ${took.toFixed(0)} ms`,
    );
  });

  it('a render past the time limit is a 422 naming the limit', async () => {
    const res = await formsConfig('too-slow');
    assert.equal(res.status, 422, res.text);
    assert.match(res.body.errors[0].message, /^service_catalog_ref: rendering the stack took longer than 5000 ms/);
    // The worker was replaced: the next render works.
    const next = await formsConfig('quick');
    assert.equal(next.status, 200, next.text);
    assert.equal(next.body.data.terraform.main.content, 'name = "web"\n');
  });

  it('renders beyond what the pool can queue get a 503 with Retry-After', async () => {
    const answers = await Promise.all([1, 2, 3, 4].map(() => formsConfig('over-budget')));
    const statuses = answers.map((r) => r.status).sort();
    assert.ok(statuses.includes(503), statuses.join(','));
    const busy = answers.find((r) => r.status === 503)!;
    assert.equal(busy.headers.get('retry-after'), '1');
    assert.match(busy.body.errors[0].message, /render workers are busy/);
    assert.ok(
      statuses.every((s) => s === 422 || s === 503),
      statuses.join(','),
    );
  });
});
