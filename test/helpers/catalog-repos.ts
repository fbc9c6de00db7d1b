import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitSync } from './git-servers.js';

/** The real stacks of the shared fixtures (a public catalog as of 2023 and 2025). */
export const FIXTURE_STACKS = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'stacks');

/**
 * A bare repository `<root>/<name>.git` whose branches are given as a folder to copy and/or files to
 * write on top (`null` deletes a file of the copied folder). Returns its file:// URL.
 */
export function catalogRepo(
  root: string,
  name: string,
  branches: Record<string, { copy?: string; files?: Record<string, string | null> }>,
): string {
  const bare = join(root, `${name}.git`);
  gitSync(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  for (const [branch, spec] of Object.entries(branches)) pushBranch(bare, branch, spec);
  return `file://${bare}`;
}

/**
 * One commit on top of a branch, writing (or, with `null`, deleting) the given files; `from` starts the
 * branch at another branch's tip first.
 */
export function commitFiles(bare: string, branch: string, files: Record<string, string | null>, from?: string) {
  const work = mkdtempSync(join(tmpdir(), 'gantry-catalog-work-'));
  try {
    gitSync(['clone', '--quiet', '--branch', from ?? branch, bare, work]);
    if (from) gitSync(['checkout', '--quiet', '-b', branch], work);
    for (const [path, content] of Object.entries(files)) {
      const full = join(work, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    gitSync(['add', '--all'], work);
    gitSync(['commit', '--quiet', '--allow-empty', '-m', `change ${branch}`], work);
    gitSync(['push', '--quiet', 'origin', `${branch}:refs/heads/${branch}`], work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Replaces a branch's content by one new commit (on top of its history when it exists). */
export function pushBranch(
  bare: string,
  branch: string,
  spec: { copy?: string; files?: Record<string, string | null> },
) {
  const work = mkdtempSync(join(tmpdir(), 'gantry-catalog-work-'));
  try {
    gitSync(['init', '--quiet', `--initial-branch=${branch}`], work);
    if (spec.copy) cpSync(spec.copy, work, { recursive: true });
    for (const [path, content] of Object.entries(spec.files ?? {})) {
      const full = join(work, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    gitSync(['add', '--all'], work);
    gitSync(['commit', '--quiet', '--allow-empty', '-m', `catalog ${branch}`], work);
    gitSync(['push', '--quiet', '--force', bare, `${branch}:refs/heads/${branch}`], work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export const bareOf = (fileUrl: string) => fileUrl.replace(/^file:\/\//, '');
