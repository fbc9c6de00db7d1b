import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { JwtSigner } from '../platform/crypto/jwt.js';
import type { Vault } from '../platform/crypto/sealing.js';
import type { DatabaseHandle } from '../platform/db/database.js';
import type { Notifications } from '../platform/db/notifications.js';
import type { Contract } from '../platform/http/contract.js';
import type { Mailer } from '../platform/mail/mailer.js';

/** What a module may ask for when it wires itself (the same in `serve` and in `worker`). */
export interface ModuleDeps {
  config: Config;
  database: DatabaseHandle;
  contract: Contract;
  signer: JwtSigner;
  mailer: Mailer;
  log: FastifyBaseLogger;
  /** Seals and opens secrets at rest (credentials). */
  vault: Vault;
  /** Named channels between the processes sharing the database. */
  notifications: Notifications;
}
