import type { CreateTableBuilder, Kysely } from 'kysely';
import { engineOf } from './database.js';

/** An auto-incrementing integer primary key, spelled as each engine wants it. */
export function withId<T extends string>(
  db: Kysely<any>,
  table: CreateTableBuilder<T, never>,
): CreateTableBuilder<T, 'id'> {
  return engineOf(db) === 'postgres'
    ? table.addColumn('id', 'serial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

export const flag = (value: boolean | undefined | null): number => (value ? 1 : 0);
export const isSet = (value: number | boolean | null | undefined): boolean => value === 1 || value === true;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
