import type { Generated } from 'kysely';

/**
 * The database interface Kysely checks queries against. Modules add their own tables by declaration
 * merging (`declare module '.../platform/db/schema.js' { interface Database { … } }`) beside their
 * repositories, so table types live with the module that owns them.
 */
export interface Database {
  instance_settings: InstanceSettingsTable;
}

/** Small key/value facts about this installation (install id, first-start markers, ...). */
export interface InstanceSettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** Shared column helper type for surrogate keys. */
export type Id = Generated<number>;
