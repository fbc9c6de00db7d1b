import type { Config } from '../config.js';
import type { DatabaseHandle } from '../platform/db/database.js';
import type { Authenticator } from '../platform/http/auth.js';
import type { Contract } from '../platform/http/contract.js';
import type { Module } from '../platform/http/operation.js';
import { systemModule } from './system/routes.js';

/** What a module may ask for when it wires itself. */
export interface ModuleDeps {
  config: Config;
  database: DatabaseHandle;
  contract: Contract;
  authenticator: Authenticator;
}

export function createModules(deps: ModuleDeps): Module[] {
  return [systemModule(deps)];
}
