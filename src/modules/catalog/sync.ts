import type { FileProblem } from '../../engines/stacks/index.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { canonicalsOfOtherSources, type StackRow, stacksByIds, storedDigests } from './repo.js';
import { formsProblem, INDEX_VERSION, type Scan, type ScannedStack } from './scan.js';

export interface IndexChanges {
  created: number[];
  updated: number[];
  /** Deleted stacks as they were (they are gone once the write commits). */
  deleted: StackRow[];
}

export interface IndexTarget {
  id: number;
  organization_id: number;
  /** Stamped on stacks created by the first indexing only; later stacks get the defaults. */
  firstIndexing: boolean;
  visibility: string;
  team_id: number | null;
}

/** Visibility of stacks a later refresh finds (the source's create-time settings are not re-applied). */
export const DEFAULT_VISIBILITY = 'local';

/**
 * Writes a scan into the index of one source, in the caller's transaction: new canonicals are
 * created, changed ones updated in place (id, visibility and team kept), vanished ones deleted.
 * A canonical another catalog repository of the organization already has is reported, not written.
 */
export async function applyScan(
  db: DbHandle,
  target: IndexTarget,
  scan: Scan,
): Promise<{ changes: IndexChanges; problems: FileProblem[] }> {
  const stored = new Map((await storedDigests(db, target.id)).map((r) => [r.canonical, r]));
  const taken = await canonicalsOfOtherSources(db, target.organization_id, target.id);
  const problems = [...scan.problems];
  const changes: IndexChanges = { created: [], updated: [], deleted: [] };
  const now = nowSeconds();
  const seen = new Set<string>();

  for (const stack of scan.stacks) {
    const { canonical } = stack.parsed.definition;
    const otherSource = taken.get(canonical);
    if (otherSource !== undefined) {
      problems.push({
        file: markerFile(stack),
        reason: `canonical: '${canonical}' is already a stack of catalog repository '${otherSource}'`,
      });
      continue;
    }
    seen.add(canonical);
    const known = stored.get(canonical);
    if (known && known.digest === stack.digest) continue;
    const fields = stackColumns(stack);
    if (known) {
      await db
        .updateTable('catalog_stacks')
        .set({ ...fields, updated_at: now })
        .where('id', '=', known.id)
        .execute();
      changes.updated.push(known.id);
    } else {
      const row = await db
        .insertInto('catalog_stacks')
        .values({
          ...fields,
          organization_id: target.organization_id,
          source_id: target.id,
          canonical,
          visibility: target.firstIndexing ? target.visibility : DEFAULT_VISIBILITY,
          team_id: target.firstIndexing ? target.team_id : null,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      changes.created.push(Number(row.id));
    }
  }
  const gone = [...stored.values()].filter((r) => !seen.has(r.canonical)).map((r) => r.id);
  if (gone.length > 0) {
    changes.deleted = await stacksByIds(db, gone);
    await db.deleteFrom('catalog_stacks').where('id', 'in', gone).execute();
  }

  await db
    .updateTable('catalog_sources')
    .set({
      indexed_commit: scan.commit,
      index_version: INDEX_VERSION,
      problems: JSON.stringify(problems),
      refreshed_at: now,
    })
    .where('id', '=', target.id)
    .execute();
  return { changes, problems };
}

/** A refresh that found the tip unchanged still counts as a successful refresh. */
export async function markRefreshed(db: DbHandle, sourceId: number): Promise<void> {
  await db.updateTable('catalog_sources').set({ refreshed_at: nowSeconds() }).where('id', '=', sourceId).execute();
}

function markerFile(stack: ScannedStack): string {
  return stack.directory === '/' ? '.cycloid.yml' : `${stack.directory}/.cycloid.yml`;
}

/** The columns a scan decides (everything but identity, visibility and team). */
function stackColumns(stack: ScannedStack) {
  const d = stack.parsed.definition;
  const providers = [...new Set(d.useCases.map((u) => u.cloudProvider).filter((p) => p !== ''))];
  const formEnabled = formsEnabled(stack);
  return {
    directory: stack.directory,
    name: d.name,
    author: d.author,
    description: d.description,
    keywords: JSON.stringify(d.keywords),
    image: d.image ?? null,
    technologies: JSON.stringify(d.technologies),
    dependencies: JSON.stringify(d.dependencies),
    cloud_providers: JSON.stringify(providers),
    blueprint: d.blueprint ? 1 : 0,
    version: d.version,
    form_enabled: formEnabled ? 1 : 0,
    quota_enabled: formEnabled && hasQuotaConfig(stack.forms!) ? 1 : 0,
    readme: stack.readme,
    use_cases: JSON.stringify(d.useCases),
    forms: stack.forms,
    files: JSON.stringify(stack.files),
    digest: stack.digest,
  };
}

/**
 * A stack is form-enabled when its `.forms.yml` loads and validates with the StackForms engine; a
 * broken file leaves the stack listed without forms (the scan reports why). Quota-enabled: its forms
 * name a `quota_config`.
 */
export function formsEnabled(stack: ScannedStack): boolean {
  return formsProblem(stack) === undefined && stack.forms !== null && stack.forms.trim() !== '';
}

function hasQuotaConfig(forms: string): boolean {
  return forms.includes('quota_config');
}
