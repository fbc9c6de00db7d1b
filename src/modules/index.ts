import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { JwtSigner } from '../platform/crypto/jwt.js';
import type { Vault } from '../platform/crypto/sealing.js';
import type { DatabaseHandle } from '../platform/db/database.js';
import type { Authenticator } from '../platform/http/auth.js';
import type { Contract } from '../platform/http/contract.js';
import type { Module } from '../platform/http/operation.js';
import type { Mailer } from '../platform/mail/mailer.js';
import { apiKeysModule } from './api-keys/routes.js';
import { credentialsModule } from './credentials/routes.js';
import { eventsModule } from './events/routes.js';
import { externalBackendsModule } from './external-backends/routes.js';
import { logsModule } from './logs/routes.js';
import { membersModule } from './members/routes.js';
import { organizationsModule } from './organizations/routes.js';
import { rolesModule } from './roles/routes.js';
import { systemModule } from './system/routes.js';
import { teamsModule } from './teams/routes.js';
import { usersModule } from './users/routes.js';
import { sessionTokenResolver } from './users/sessions.js';

/** What a module may ask for when it wires itself. */
export interface ModuleDeps {
  config: Config;
  database: DatabaseHandle;
  contract: Contract;
  authenticator: Authenticator;
  signer: JwtSigner;
  mailer: Mailer;
  log: FastifyBaseLogger;
  /** Seals and opens secrets at rest (credentials). */
  vault: Vault;
}

export function createModules(deps: ModuleDeps): Module[] {
  deps.authenticator.use(sessionTokenResolver(deps.database.db, deps.signer, deps.config.sessionMaxAgeSeconds));
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
  ];
}
