import { createHash } from 'node:crypto';
import {
  type CatalogEntry,
  dedupeCanonicals,
  type FileProblem,
  FORMS_FILE,
  findStackMarkers,
  type ParsedStack,
  parseStackDefinition,
  README_FILE,
  referencedFiles,
  repositoryPath,
  StackFileError,
} from '../../engines/stacks/index.js';
import type { StackContext } from '../../engines/stacktpl/index.js';
import type { Git, GitRemote } from '../../platform/git/index.js';
import { cachedStackForms, formsProblemLine } from './stack-forms.js';

/** Bumped when indexing reads files differently: sources indexed by an older version are read again. */
export const INDEX_VERSION = 3;

/** Longest folder path of a stack in its repository (what the catalog stores for it). */
const MAX_DIRECTORY = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const READABLE_PATH = /^[^\x00-\x1f\x7f\\]+$/;

export interface ScannedStack {
  directory: string;
  parsed: ParsedStack;
  forms: string | null;
  readme: string | null;
  /** Repository path -> content, for the files the use cases name that exist. */
  files: Record<string, string>;
  digest: string;
}

export interface Scan {
  commit: string;
  stacks: ScannedStack[];
  /** Stacks that could not be read (file, line, reason); the rest of the catalog is indexed. */
  problems: FileProblem[];
  /** Things read with a fallback (a repeated key, a missing name). */
  warnings: FileProblem[];
}

/**
 * Fetches the branch and reads every stack at its tip; `skipCommit` (the commit already indexed)
 * returns null right after the fetch when the tip has not moved.
 */
export async function scanRepository(
  git: Git,
  remote: GitRemote,
  branch: string,
  skipCommit?: string | null,
): Promise<Scan | null> {
  const { dir, commit } = await git.sync(remote, branch);
  if (skipCommit && skipCommit === commit) return null;
  const listing = await git.listFiles(dir, commit);
  // Names git cannot be asked for by path (control characters, backslashes) are no stack's files.
  const present = new Set(listing.filter((f) => !f.symlink && READABLE_PATH.test(f.path)).map((f) => f.path));
  const readAll = async (paths: string[]) => {
    const read = await git.readFiles(dir, commit, paths);
    return new Map([...read].map(([path, bytes]) => [path, bytes.toString('utf8')]));
  };

  const problems: FileProblem[] = [];
  const warnings: FileProblem[] = [];
  const markers = findStackMarkers([...present]);
  const markerTexts = await readAll(markers.map((m) => m.file));
  const entries: CatalogEntry<string>[] = [];
  for (const marker of markers) {
    if (marker.directory.length > MAX_DIRECTORY) {
      problems.push({
        file: marker.file,
        reason: `the stack's folder path is longer than ${MAX_DIRECTORY} characters`,
      });
      continue;
    }
    const markerText = markerTexts.get(marker.file) ?? '';
    try {
      const parsed = parseStackDefinition(markerText, marker.file);
      warnings.push(...parsed.warnings);
      entries.push({ marker, parsed, extra: markerText });
    } catch (error) {
      if (!(error instanceof StackFileError)) throw error;
      problems.push(error.problem);
    }
  }
  const { kept, problems: duplicates } = dedupeCanonicals(entries);
  problems.push(...duplicates);

  // Every file of every stack in one read: one git process for the whole catalog.
  const wanted = kept.map(({ marker, parsed }) =>
    referencedFiles(marker.directory, parsed.definition).filter((p) => present.has(p)),
  );
  const byPath = await readAll([...new Set(wanted.flat())]);

  const stacks = kept.map(({ marker, parsed, extra }, index): ScannedStack => {
    const files: Record<string, string> = {};
    for (const path of wanted[index]!) files[path] = byPath.get(path)!;
    const formsPath = repositoryPath(marker.directory, FORMS_FILE)!;
    const readmePath = repositoryPath(marker.directory, README_FILE)!;
    const forms = files[formsPath] ?? null;
    const readme = files[readmePath] ?? null;
    delete files[formsPath];
    delete files[readmePath];
    const digest = createHash('sha256')
      .update(JSON.stringify([INDEX_VERSION, marker.directory, extra, forms, readme, Object.entries(files).sort()]))
      .digest('hex');
    const formsIssue = formsProblem({ forms, parsed });
    if (formsIssue) {
      const line = formsProblemLine(formsIssue, forms ?? '');
      warnings.push({ file: formsPath, ...(line ? { line } : {}), reason: `forms disabled: ${formsIssue}` });
    }
    return { directory: marker.directory, parsed, forms, readme, files, digest };
  });
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { commit, stacks, problems, warnings };
}

/** The tip of a branch without fetching (ls-remote): what the periodic re-index compares first. */
export async function remoteHead(git: Git, remote: GitRemote, branch: string): Promise<string | undefined> {
  const branches = await git.listBranches(remote);
  return branches.find((b) => b.name === branch)?.commit;
}

/** Why a stack's non-empty forms file cannot be used, or undefined (also when it has none). */
export function formsProblem(stack: Pick<ScannedStack, 'forms' | 'parsed'>): string | undefined {
  if (stack.forms === null || stack.forms.trim() === '') return undefined;
  return cachedStackForms(stack.forms, stack.parsed.definition.version, indexingContext(stack)).problem;
}

/** What templates in a forms file see at indexing: the stack itself, no project yet. */
function indexingContext(stack: Pick<ScannedStack, 'parsed'>): StackContext {
  return { stack: stack.parsed.definition.canonical, stackName: stack.parsed.definition.name };
}
