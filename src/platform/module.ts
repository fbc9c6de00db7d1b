import type { OwnedKind } from './authz/owned-kinds.js';
import type { ComponentListener } from './component-listeners.js';
import type { CredentialUser } from './credential-users.js';
import type { TokenResolver } from './http/auth.js';
import type { Module as HttpModule } from './http/operation.js';
import type { JobDefinition, ScheduleDefinition } from './jobs/kinds.js';

/**
 * What a module contributes. Beside its operation table (served by `gantry serve` only), everything
 * here is wired by the platform in every process that starts the modules (`serve` and `worker`), so
 * adding a module never means editing app.ts or another module:
 * - `jobs`: handlers of the job kinds it owns; `schedules`: periodic jobs of those kinds;
 * - `tokenResolvers`: turn presented tokens into actors (tried in module order);
 * - `ownedKinds`: entity kinds with an owner (owner checks, `UserSession.owns`, list narrowing);
 * - `credentialUsers`: kinds of entity that use credentials (a credential's `in_use`, its delete refusal);
 * - `componentListeners`: modules that follow components (pipelines, quotas): asked before a change, told in its transaction;
 * - `start`/`stop`: called once the platform is up, and at shutdown (in reverse module order).
 */
export interface Module extends HttpModule {
  jobs?: JobDefinition[];
  schedules?: ScheduleDefinition[];
  tokenResolvers?: TokenResolver[];
  ownedKinds?: OwnedKind[];
  credentialUsers?: CredentialUser[];
  componentListeners?: ComponentListener[];
  start?: () => Promise<void> | void;
  stop?: () => Promise<void> | void;
}

/** Runs the modules' start hooks in order; returns the stop that undoes them in reverse order. */
export async function startModules(modules: Module[]): Promise<() => Promise<void>> {
  const started: Module[] = [];
  const stop = async () => {
    for (const module of started.reverse()) await module.stop?.();
  };
  try {
    for (const module of modules) {
      await module.start?.();
      started.push(module);
    }
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return stop;
}
