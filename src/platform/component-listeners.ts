import type { DbHandle } from './db/database.js';

/** A change to a component, as the components module tells it to the modules that follow components. */
export interface ComponentChange {
  action: 'create' | 'update' | 'migrate' | 'delete';
  organizationId: number;
  project: string;
  environment: string;
  component: string;
  /** The record's id; absent in `check`, which runs before the record is written. */
  componentId?: number;
  stackRef: string;
  useCase: string;
  vars: Record<string, unknown>;
  /** Where a migrated component was (`migrate` only). */
  from?: { project: string; environment: string; component: string };
}

/**
 * A module that follows components (pipelines that deploy them, quotas that bound them), contributed as
 * `Module.componentListeners`. The components module calls every listener at two points of each write:
 * - `check` before anything is committed to git or written (the operation's `prepare` step, no
 *   transaction open): throwing a 4xx refuses the change (a quota exceeded is a 422), nothing done;
 * - `changed` inside the transaction that writes the component, after its row: what the listener
 *   writes commits or rolls back with it. No network I/O there: use `afterCommit`-style work of its own.
 */
export interface ComponentListener {
  /** Names the listener in logs and in the docs' table of listeners. */
  name: string;
  check?(db: DbHandle, change: ComponentChange): Promise<void>;
  changed?(db: DbHandle, change: ComponentChange): Promise<void>;
}

const listeners = new Map<string, ComponentListener>();

/** Adds the listeners modules declare, at boot (the same list for every app of a process). */
export function registerComponentListeners(list: readonly ComponentListener[]): void {
  for (const listener of list) listeners.set(listener.name, listener);
}

/** Asks every listener whether the change may happen; the first refusal (a thrown 4xx) stops it. */
export async function checkComponentChange(db: DbHandle, change: ComponentChange): Promise<void> {
  for (const listener of listeners.values()) await listener.check?.(db, change);
}

/** Tells every listener of a change written in the transaction `db`. */
export async function componentChanged(db: DbHandle, change: ComponentChange): Promise<void> {
  for (const listener of listeners.values()) await listener.changed?.(db, change);
}
