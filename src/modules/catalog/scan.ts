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
import type { Git, GitRemote } from '../../platform/git/index.js';

/** Bumped when indexing reads files differently: sources indexed by an older version are read again. */
export const INDEX_VERSION = 1;

/** Files read at once from the git cache (each read is one git process). */
const READ_CONCURRENCY = 8;

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
  const present = new Set(listing.filter((f) => !f.symlink).map((f) => f.path));
  const read = (path: string) => git.readFile(dir, commit, path).then((b) => b.toString('utf8'));

  const problems: FileProblem[] = [];
  const warnings: FileProblem[] = [];
  const markers = findStackMarkers([...present]);
  const entries = (
    await mapLimit(markers, READ_CONCURRENCY, async (marker) => {
      let parsed: ParsedStack;
      let markerText: string;
      try {
        markerText = await read(marker.file);
        parsed = parseStackDefinition(markerText, marker.file);
      } catch (error) {
        if (!(error instanceof StackFileError)) throw error;
        problems.push(error.problem);
        return undefined;
      }
      warnings.push(...parsed.warnings);
      return { marker, parsed, extra: markerText } satisfies CatalogEntry<string>;
    })
  ).filter((e): e is CatalogEntry<string> => e !== undefined);
  const { kept, problems: duplicates } = dedupeCanonicals(entries);
  problems.push(...duplicates);

  // Every file of every stack goes through one pool: the number of git processes stays bounded.
  const wanted = kept.map(({ marker, parsed }) =>
    referencedFiles(marker.directory, parsed.definition).filter((p) => present.has(p)),
  );
  const paths = [...new Set(wanted.flat())];
  const contents = await mapLimit(paths, READ_CONCURRENCY, read);
  const byPath = new Map(paths.map((path, i) => [path, contents[i]!]));

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
      .update(JSON.stringify([marker.directory, extra, forms, readme, Object.entries(files).sort()]))
      .digest('hex');
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

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
