// The real stacks of shared/fixtures/stacks, as render jobs: every .cycloid.yml, .forms.yml, pipeline
// and variables sample (and the other samples and destinations a use case names), with a plausible
// context per use case. Used by the fixture test and by bench/stacktpl.ts.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseStackVersion, type StackContext, type StackVersion } from '../../src/engines/stacktpl/index.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'stacks');

export interface RenderJob {
  /** Path relative to the fixtures folder, plus the use case when it matters. */
  label: string;
  kind: 'cycloid' | 'forms' | 'pipeline' | 'variables' | 'sample' | 'destination';
  text: string;
  version: StackVersion;
  context: StackContext;
  /** Whether the rendered text must be YAML. */
  yaml: boolean;
}

function stackDirs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...stackDirs(path));
  }
  if (existsSync(join(dir, '.cycloid.yml')) || existsSync(join(dir, '.cycloid.yaml'))) out.push(dir);
  return out;
}

function baseContext(stackDir: string, credentialType: string): StackContext {
  return {
    organization: 'acme',
    organizationName: 'Acme',
    project: 'webshop',
    projectName: 'Web shop',
    projectOwner: 'jdoe',
    environment: 'prod',
    environmentName: 'Production',
    component: 'frontend',
    componentName: 'Front end',
    catalogRepository: 'stacks',
    catalogRepositoryUrl: 'git@github.com:acme/stacks.git',
    catalogRepositoryBranch: 'main',
    catalogRepositoryCredentialType: credentialType,
    catalogRepositoryCredentialPath: 'git-stacks',
    stack: 'stack',
    stackPath: relative(FIXTURES, stackDir),
    configRepository: 'config',
    configRepositoryUrl: 'git@github.com:acme/config.git',
    configRepositoryBranch: 'config',
    configRepositoryCredentialType: credentialType,
    configRepositoryCredentialPath: 'git-config',
    inventoryJwt: 'eyJhbGciOiJIUzI1NiJ9.e30.signature',
    apiUrl: 'https://api.gantry.example',
    consoleUrl: 'https://console.gantry.example',
  };
}

function readVersion(text: string): StackVersion {
  const m = /^version:\s*['"]?([^'"\s#]+)/m.exec(text);
  return parseStackVersion(m ? m[1] : undefined);
}

type UseCase = Record<string, unknown>;

/** Paths and destinations a use case names (pipeline, variables, terraform, ansible and the like). */
function filesOf(useCase: UseCase): Array<{ kind: RenderJob['kind']; path?: string; destination?: string }> {
  const out: Array<{ kind: RenderJob['kind']; path?: string; destination?: string }> = [];
  for (const [tech, entries] of Object.entries(useCase)) {
    if (!entries || typeof entries !== 'object') continue;
    for (const [key, entry] of Object.entries(entries as Record<string, unknown>)) {
      if (!entry || typeof entry !== 'object') continue;
      const { path, destination } = entry as { path?: unknown; destination?: unknown };
      const kind: RenderJob['kind'] =
        tech === 'pipeline'
          ? key === 'pipeline'
            ? 'pipeline'
            : key === 'variables'
              ? 'variables'
              : 'sample'
          : 'sample';
      out.push({
        kind,
        path: typeof path === 'string' ? path : undefined,
        destination: typeof destination === 'string' ? destination : undefined,
      });
    }
  }
  return out;
}

export function fixtureJobs(): RenderJob[] {
  const jobs: RenderJob[] = [];
  if (!existsSync(FIXTURES)) return jobs;
  for (const dir of stackDirs(FIXTURES).sort()) {
    const markerPath = existsSync(join(dir, '.cycloid.yml')) ? join(dir, '.cycloid.yml') : join(dir, '.cycloid.yaml');
    const marker = readFileSync(markerPath, 'utf8');
    const version = readVersion(marker);
    const rel = relative(FIXTURES, markerPath);
    const yaml = version >= 3;
    jobs.push({ label: rel, kind: 'cycloid', text: marker, version, context: baseContext(dir, 'ssh'), yaml });
    let config: Record<string, UseCase> = {};
    try {
      const doc = parseYaml(marker, { version: '1.1' }) as { config?: Record<string, UseCase> } | null;
      config = doc?.config ?? {};
    } catch {
      config = {};
    }
    // v1 stacks put pipeline/terraform/ansible straight under config: one use case, "default".
    const isLegacyLayout = ['pipeline', 'terraform', 'ansible'].some((k) => k in config);
    const useCases: Array<[string, UseCase]> = isLegacyLayout
      ? [['default', config as UseCase]]
      : Object.entries(config);
    const formsPath = ['.forms.yml', '.forms.yaml'].map((f) => join(dir, f)).find((p) => existsSync(p));
    const seen = new Set<string>();
    for (const [useCase, body] of useCases.length > 0 ? useCases : [['default', {}] as [string, UseCase]]) {
      for (const credentialType of yaml ? ['ssh', 'basic_auth'] : ['ssh']) {
        const context = { ...baseContext(dir, credentialType), useCase };
        const tag = `${useCase}${yaml ? `, ${credentialType}` : ''}`;
        if (formsPath) {
          jobs.push({
            label: `${relative(FIXTURES, formsPath)} [${tag}]`,
            kind: 'forms',
            text: readFileSync(formsPath, 'utf8'),
            version,
            context,
            yaml,
          });
        }
        for (const f of filesOf(body ?? {})) {
          if (f.destination) {
            jobs.push({
              label: `${rel} destination ${f.destination} [${tag}]`,
              kind: 'destination',
              text: f.destination,
              version,
              context,
              yaml: false,
            });
          }
          if (!f.path) continue;
          const path = join(dir, f.path);
          const key = `${path}|${tag}`;
          if (seen.has(key) || !existsSync(path)) continue;
          seen.add(key);
          const isYaml = f.kind === 'pipeline' || f.kind === 'variables';
          jobs.push({
            label: `${relative(FIXTURES, path)} [${tag}]`,
            kind: f.kind,
            text: readFileSync(path, 'utf8'),
            version,
            context,
            yaml: yaml && isYaml,
          });
        }
      }
    }
    // Pipeline files no use case names (old stacks list them under pipeline/ only).
    const pipelineDir = join(dir, 'pipeline');
    if (existsSync(pipelineDir)) {
      for (const name of readdirSync(pipelineDir).sort()) {
        const path = join(pipelineDir, name);
        if (!statSync(path).isFile() || [...seen].some((k) => k.startsWith(`${path}|`))) continue;
        const kind = /variables/.test(name) ? 'variables' : 'pipeline';
        jobs.push({
          label: relative(FIXTURES, path),
          kind,
          text: readFileSync(path, 'utf8'),
          version,
          context: { ...baseContext(dir, 'ssh'), useCase: useCases[0]?.[0] ?? 'default' },
          yaml: yaml && /\.ya?ml$/.test(name),
        });
      }
    }
  }
  return jobs;
}
