// The real stacks of shared/fixtures/stacks render without an engine error, and what v3+ stacks render
// is YAML (read as YAML 1.1, as Go's yaml.v2 reads it). Findings about the fixtures themselves are
// listed here so that any change shows.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { renderStackFile, TemplateError } from '../../src/engines/stacktpl/index.js';
import { FIXTURES, fixtureJobs, type RenderJob } from './stacktpl-fixtures.js';

const jobs = fixtureJobs();
const rendered = new Map<RenderJob, string>();
const failures: string[] = [];
const warnings: string[] = [];
for (const job of jobs) {
  try {
    const r = renderStackFile(job.text, { version: job.version, context: job.context, name: job.label });
    rendered.set(job, r.output);
    for (const w of r.warnings) warnings.push(`${job.label}:${w.line}:${w.column}: ${w.message}`);
  } catch (e) {
    failures.push(e instanceof TemplateError ? e.message : `${job.label}: ${String(e)}`);
  }
}

function yamlErrors(filter: (j: RenderJob) => boolean): string[] {
  const out: string[] = [];
  for (const [job, text] of rendered) {
    if (!filter(job)) continue;
    try {
      parseYaml(text, { version: '1.1' });
    } catch (e) {
      out.push(`${job.label}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out.sort();
}

describe('stack templating on the fixture stacks', {
  skip: existsSync(FIXTURES) ? false : `no fixture stacks at ${FIXTURES}`,
}, () => {
  it('covers every stack file kind of both fixture years', () => {
    const kinds = new Set(jobs.map((j) => `${j.kind} v${j.version}`));
    for (const k of ['cycloid v1', 'cycloid v2', 'cycloid v4', 'forms v2', 'forms v4', 'pipeline v4', 'variables v4']) {
      assert.ok(kinds.has(k), k);
    }
    assert.ok(jobs.length > 500, `${jobs.length} files rendered`);
  });

  it('renders every file without an engine error', () => {
    assert.deepEqual(failures, []);
  });

  it('knows every variable v3+ stacks use (no missing-key warning)', () => {
    assert.deepEqual(
      warnings.filter((w) => w.startsWith('2025/')),
      [],
    );
  });

  it('gives YAML for every v3+ .cycloid.yml, .forms.yml, pipeline and variables file', () => {
    // Finding: stack-terraform-runner's pipeline declares `vars:` twice under the tfstate source for
    // the azure and gcp use cases (the `($- else if $)` branches open a second `vars:` key), which a
    // YAML reader refuses as a duplicate key. The template renders as written; the stack is at fault.
    assert.deepEqual(
      yamlErrors((j) => j.yaml),
      [
        '2025/stack-terraform-runner/pipeline/pipeline.yml [azure, basic_auth]: Map keys must be unique at line 36, column 5:',
        '2025/stack-terraform-runner/pipeline/pipeline.yml [azure, ssh]: Map keys must be unique at line 36, column 5:',
        '2025/stack-terraform-runner/pipeline/pipeline.yml [gcp, basic_auth]: Map keys must be unique at line 36, column 5:',
        '2025/stack-terraform-runner/pipeline/pipeline.yml [gcp, ssh]: Map keys must be unique at line 36, column 5:',
      ],
    );
  });

  it('leaves v1/v2 YAML as the fixtures have it (their .forms.yml duplicate keys are in the source)', () => {
    const errors = yamlErrors((j) => j.version < 3 && (j.kind === 'forms' || j.kind === 'cycloid'));
    for (const e of errors) assert.match(e, /^2023\/[^ ]+\/\.forms\.yml \[[^\]]+\]: Map keys must be unique/);
    assert.equal(new Set(errors.map((e) => e.split(' ')[0])).size, 7);
  });

  it('renders before YAML parsing: stack-compute .forms.yml is YAML only once rendered', () => {
    const job = jobs.find((j) => j.label.startsWith('2025/stack-compute/.forms.yml'))!;
    assert.throws(() => parseYaml(job.text, { version: '1.1' }));
    const out = rendered.get(job)!;
    assert.match(out, /acme-webshop-prod-frontend-vm/);
    parseYaml(out, { version: '1.1' });
  });

  it('fills config_root in v4 destinations', () => {
    const dest = jobs.find((j) => j.kind === 'destination' && j.text.includes('.config_root'))!;
    assert.match(rendered.get(dest)!, /^webshop\/prod\/frontend\//);
  });
});
