import type { DbHandle } from '../../platform/db/database.js';
import { conflict } from '../../platform/errors.js';

/**
 * Who uses stacks: each check returns, for the given stack ids, a short description of every user
 * (e.g. `component 'web' of project 'shop', environment 'prod'`). The components module registers its
 * check here when it lands; until then no stack has users and deletes always go through.
 */
export type StackUsageCheck = (db: DbHandle, stackIds: number[]) => Promise<string[]>;

const checks: StackUsageCheck[] = [];

export function registerStackUsage(check: StackUsageCheck): void {
  if (!checks.includes(check)) checks.push(check);
}

/** 409 naming the users when any of the stacks is in use; `what` names what is being deleted. */
export async function demandStacksUnused(db: DbHandle, stackIds: number[], what: string): Promise<void> {
  if (stackIds.length === 0) return;
  const users = (await Promise.all(checks.map((check) => check(db, stackIds)))).flat();
  if (users.length > 0) {
    throw conflict(`${what} is in use: ${users.slice(0, 5).join(', ')}${users.length > 5 ? ', …' : ''}`, users);
  }
}
