import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import type { StackRow } from './repo.js';
import { requireStack } from './stacks.js';

type DependenciesView = components['schemas']['ServiceCatalogDependenciesValidationResult'];

/**
 * A stack's dependencies against what the organization can use (notes §7): a dependency is satisfied
 * when the stack it names exists and is visible to the organization. The messages are Cycloid's.
 */
export async function validateDependencies(db: DbHandle, access: Access, stack: StackRow): Promise<DependenciesView> {
  const dependencies = JSON.parse(stack.dependencies) as { ref?: string; required?: boolean }[];
  const result: DependenciesView = { errors: [], warnings: [] };
  for (const { ref, required } of dependencies) {
    if (!ref) continue;
    if (await visible(db, access, ref)) continue;
    if (required) result.errors.push(`dependency '${ref}' is required to deploy the stack`);
    else result.warnings.push(`dependency '${ref}' is recommended to deploy the stack`);
  }
  return result;
}

async function visible(db: DbHandle, access: Access, ref: string): Promise<boolean> {
  if (!/^[a-z0-9][a-z0-9_-]*:[a-z0-9][a-z0-9_-]*$/.test(ref)) return false;
  try {
    await requireStack(db, access, ref);
    return true;
  } catch {
    return false;
  }
}

/** The stack's Terraform diagram (opaque JSON kept in the database), with when it was written. */
export async function readDiagram(db: DbHandle, stack: StackRow) {
  const row = await db
    .selectFrom('catalog_stacks')
    .select(['diagram', 'diagram_created_at', 'diagram_updated_at'])
    .where('id', '=', stack.id)
    .executeTakeFirstOrThrow();
  if (row.diagram === null) throw notFound(`diagram of stack '${stack.organization_canonical}:${stack.canonical}'`);
  return {
    data: JSON.parse(row.diagram) as unknown,
    created_at: row.diagram_created_at,
    updated_at: row.diagram_updated_at,
  };
}

export async function writeDiagram(db: DbHandle, stack: StackRow, diagram: unknown): Promise<void> {
  const now = nowSeconds();
  await db
    .updateTable('catalog_stacks')
    .set((eb) => ({
      diagram: JSON.stringify(diagram ?? null),
      diagram_created_at: eb.fn.coalesce('diagram_created_at', eb.val(now)),
      diagram_updated_at: now,
    }))
    .where('id', '=', stack.id)
    .execute();
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;

export async function readDiagramImage(db: DbHandle, stack: StackRow): Promise<{ image: string }> {
  const row = await db
    .selectFrom('catalog_stacks')
    .select('diagram_image')
    .where('id', '=', stack.id)
    .executeTakeFirstOrThrow();
  if (row.diagram_image === null) {
    throw notFound(`diagram image of stack '${stack.organization_canonical}:${stack.canonical}'`);
  }
  return { image: row.diagram_image };
}

/** A base64 PNG of at most 2 MB (checked by its magic bytes), kept in the database. */
export async function writeDiagramImage(db: DbHandle, stack: StackRow, image: string): Promise<void> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(image)) throw unprocessable('image: must be base64');
  const bytes = Buffer.from(image, 'base64');
  if (bytes.length > MAX_IMAGE_BYTES) throw unprocessable(`image: ${bytes.length} bytes, over the 2 MB limit`);
  if (bytes.length < PNG_MAGIC.length || !bytes.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) {
    throw unprocessable('image: must be a PNG image');
  }
  await db.updateTable('catalog_stacks').set({ diagram_image: image }).where('id', '=', stack.id).execute();
}
