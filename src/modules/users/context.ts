import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import type { Db, DbHandle } from '../../platform/db/database.js';
import type { AuditRecord } from '../../platform/http/operation.js';
import type { RateLimiter } from '../../platform/http/rate-limit.js';
import type { Mailer } from '../../platform/mail/mailer.js';

/** What the account services need from the server, built once by the module. */
export interface UsersEnv {
  /** The root handle: services open their own transactions, so mails go out after commit. */
  db: Db;
  config: Config;
  signer: JwtSigner;
  mailer: Mailer;
  log: FastifyBaseLogger;
  limiter: RateLimiter;
}

/** Facts about the call a service needs, without handing it the HTTP request. */
export interface CallInfo {
  /** Client address, for rate limits. */
  ip: string;
  /** Base URL put in mailed links. */
  baseUrl: string;
  /** Writes an organization event in the given transaction. */
  audit: (db: DbHandle, record: AuditRecord & { organizationId: number }) => Promise<void>;
}
