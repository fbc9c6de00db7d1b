// Which directories of a catalog repository are stacks, which files each stack needs read, and the
// catalog-wide rule that a canonical names one stack.

import { posix } from 'node:path';
import type { ParsedStack, StackDefinition } from './definition.js';
import type { FileProblem } from './yaml.js';

export const STACK_MARKERS = ['.cycloid.yml', '.cycloid.yaml'];
export const FORMS_FILE = '.forms.yml';
export const README_FILE = 'README.md';

export interface StackMarker {
  /** The stack folder relative to the repository root; `/` for the root itself. */
  directory: string;
  /** Repository path of its `.cycloid.yml` (or `.yaml`). */
  file: string;
}

/**
 * Every folder holding a stack marker, at any depth (real catalogs nest stacks inside stacks), in path
 * order. A folder with both spellings is one stack: `.cycloid.yml` wins.
 */
export function findStackMarkers(paths: readonly string[]): StackMarker[] {
  const byDirectory = new Map<string, StackMarker>();
  for (const path of paths) {
    const base = posix.basename(path);
    if (!STACK_MARKERS.includes(base)) continue;
    const dir = posix.dirname(path);
    const directory = dir === '.' ? '/' : dir;
    const known = byDirectory.get(directory);
    if (!known || base === STACK_MARKERS[0]) byDirectory.set(directory, { directory, file: path });
  }
  return [...byDirectory.values()].sort((a, b) => compare(a.file, b.file));
}

/** A path relative to the stack folder as a repository path; undefined when it leaves the repository. */
export function repositoryPath(directory: string, relative: string): string | undefined {
  if (relative === '' || relative.includes('\0')) return undefined;
  const base = directory === '/' ? '' : directory;
  const joined = posix.normalize(posix.join(base, relative.replace(/^\/+/, '')));
  if (joined === '..' || joined.startsWith('../') || joined === '.') return undefined;
  return joined;
}

/** Files the API shows with a stack: its forms, README and every file its use cases name. */
export function referencedFiles(directory: string, definition: StackDefinition): string[] {
  const relative = [FORMS_FILE, README_FILE];
  for (const useCase of definition.useCases) {
    if (useCase.pipeline) relative.push(useCase.pipeline);
    if (useCase.variables) relative.push(useCase.variables.path);
    for (const entries of Object.values(useCase.files))
      for (const entry of Object.values(entries)) relative.push(entry.path);
  }
  const out = new Set<string>();
  for (const path of relative) {
    const full = repositoryPath(directory, path);
    if (full) out.add(full);
  }
  return [...out];
}

export interface CatalogEntry<T> {
  marker: StackMarker;
  parsed: ParsedStack;
  extra: T;
}

/**
 * Keeps one stack per canonical: the first in path order (the outer folder before a nested copy); the
 * others are reported against their own file.
 */
export function dedupeCanonicals<T>(entries: CatalogEntry<T>[]): { kept: CatalogEntry<T>[]; problems: FileProblem[] } {
  const first = new Map<string, StackMarker>();
  const kept: CatalogEntry<T>[] = [];
  const problems: FileProblem[] = [];
  for (const entry of entries) {
    const canonical = entry.parsed.definition.canonical;
    const owner = first.get(canonical);
    if (owner) {
      problems.push({
        file: entry.marker.file,
        reason: `canonical: '${canonical}' is already the canonical of the stack in ${owner.directory}`,
      });
      continue;
    }
    first.set(canonical, entry.marker);
    kept.push(entry);
  }
  return { kept, problems };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
