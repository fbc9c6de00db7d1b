import type { Module } from '../platform/module.js';
import { apiKeysModule } from './api-keys/routes.js';
import { catalogModule } from './catalog/routes.js';
import { componentsModule } from './components/routes.js';
import { configRepositoriesModule } from './config-repositories/routes.js';
import { credentialsModule } from './credentials/routes.js';
import type { ModuleDeps } from './deps.js';
import { eventsModule } from './events/routes.js';
import { externalBackendsModule } from './external-backends/routes.js';
import { formsModule } from './forms/routes.js';
import { infraPoliciesModule } from './infra-policies/routes.js';
import { logsModule } from './logs/routes.js';
import { membersModule } from './members/routes.js';
import { organizationsModule } from './organizations/routes.js';
import { projectsModule } from './projects/routes.js';
import { rolesModule } from './roles/routes.js';
import { systemModule } from './system/routes.js';
import { teamsModule } from './teams/routes.js';
import { usersModule } from './users/routes.js';

export type { ModuleDeps };

/**
 * Every module, in order: token resolvers are tried in this order. A new module is one line here; what
 * it contributes (operations, jobs, schedules, resolvers, owned kinds, start/stop) is declared in its
 * own folder and wired by the platform (see docs/architecture.md, "Adding a module").
 */
export function createModules(deps: ModuleDeps): Module[] {
  return [
    systemModule(deps),
    usersModule(deps),
    organizationsModule(deps),
    rolesModule(deps),
    membersModule(deps),
    teamsModule(deps),
    apiKeysModule(deps),
    eventsModule(deps),
    credentialsModule(deps),
    externalBackendsModule(deps),
    logsModule(deps),
    catalogModule(deps),
    configRepositoriesModule(deps),
    projectsModule(deps),
    componentsModule(deps),
    infraPoliciesModule(deps),
    formsModule(deps),
  ];
}
