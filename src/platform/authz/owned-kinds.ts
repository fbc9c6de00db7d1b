import type { Database } from '../db/schema.js';

/** Tables whose rows have an owner: each has `organization_id`, `canonical` and `owner_user_id`. */
export type OwnedTable = {
  [T in keyof Database]: Database[T] extends {
    organization_id: number;
    canonical: string;
    owner_user_id: number | null;
  }
    ? T
    : never;
}[keyof Database];

/** An entity kind with an owner: the kind's word in entity paths and the table holding its rows. */
export interface OwnedKind {
  kind: string;
  table: OwnedTable;
}

const registered = new Map<string, OwnedKind>();

/**
 * Adds the owned kinds modules declare (`Module.ownedKinds`), at boot. The module list is fixed, so
 * every app of a process registers the same kinds; a kind declared twice with another table is a bug.
 */
export function registerOwnedKinds(kinds: readonly OwnedKind[]): void {
  for (const owned of kinds) {
    const known = registered.get(owned.kind);
    if (known && known.table !== owned.table) {
      throw new Error(`owned kind '${owned.kind}' is declared on both ${known.table} and ${owned.table}`);
    }
    registered.set(owned.kind, { kind: owned.kind, table: owned.table });
  }
}

/** Every owned kind the modules declared, in declaration order. */
export function ownedKinds(): readonly OwnedKind[] {
  return [...registered.values()];
}
