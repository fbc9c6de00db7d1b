// The fixture stacks that carry a `.forms.yml`, with each use case's samples: shared by the forms
// fixture test and bench/forms.ts.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Samples } from '../../src/engines/forms/index.js';
import type { StackContext } from '../../src/engines/stacktpl/index.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'stacks');

export interface FormsFixture {
  label: string;
  text: string;
  stackVersion: unknown;
  /** Use cases of `.cycloid.yml` by name, with their sample files. */
  useCases: Map<string, Samples>;
}

export const FIXTURE_CONTEXT: StackContext = {
  organization: 'acme',
  project: 'webshop',
  environment: 'prod',
  component: 'frontend',
  inventoryJwt: 'eyJhbGciOiJIUzI1NiJ9.e30.signature',
};

function stackDirs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...stackDirs(path));
  }
  if (['.forms.yml', '.forms.yaml'].some((f) => existsSync(join(dir, f)))) out.push(dir);
  return out;
}

function read(dir: string, path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  const full = join(dir, path);
  return existsSync(full) && statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined;
}

function samplesOf(dir: string, uc: Record<string, any>): Samples {
  const samples: Samples = { terraform: {}, ansible: {} };
  samples.variables = read(dir, uc?.pipeline?.variables?.path);
  for (const tech of ['terraform', 'ansible'] as const) {
    for (const [name, entry] of Object.entries((uc?.[tech] ?? {}) as Record<string, any>)) {
      const text = read(dir, entry?.path);
      if (text !== undefined) samples[tech]![name] = text;
    }
  }
  return samples;
}

export function formsFixtures(): FormsFixture[] {
  if (!existsSync(FIXTURES)) return [];
  return stackDirs(FIXTURES).map((dir) => {
    const formsPath = ['.forms.yml', '.forms.yaml'].map((f) => join(dir, f)).find((p) => existsSync(p))!;
    const marker = readFileSync(join(dir, '.cycloid.yml'), 'utf8');
    const doc = parseYaml(marker, { version: '1.1' }) as { version?: unknown; config?: Record<string, any> };
    const config = doc.config ?? {};
    const legacy = ['pipeline', 'terraform', 'ansible'].some((k) => k in config);
    const useCases = new Map<string, Samples>();
    for (const [name, uc] of legacy ? [['default', config] as const] : Object.entries(config)) {
      useCases.set(name, samplesOf(dir, uc));
    }
    // Versions 1 and 2 only know fixed tokens: `($ ... $)` in them is plain text.
    return {
      label: relative(FIXTURES, formsPath),
      text: readFileSync(formsPath, 'utf8'),
      stackVersion: doc.version,
      useCases,
    };
  });
}
