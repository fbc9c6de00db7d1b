import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { createModules } from '../../src/modules/index.js';
import { JwtSigner } from '../../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../../src/platform/crypto/keys.js';
import { loadMasterKey, Vault } from '../../src/platform/crypto/sealing.js';
import { openNotifications } from '../../src/platform/db/notifications.js';
import { type ContractOperation, loadContract } from '../../src/platform/http/contract.js';
import type { OperationSpec } from '../../src/platform/http/operation.js';
import { Mailer } from '../../src/platform/mail/mailer.js';
import type { TestServer } from '../helpers/server.js';

/**
 * The operations this server implements, read from the modules' operation tables the way the app
 * builds them (src/modules/index.ts): everything else answers 501. Sweeps walk this list, so an
 * operation is covered from the day a module declares it.
 */
export const contract = loadContract();

export interface Implemented {
  op: ContractOperation;
  spec: OperationSpec;
}

export async function implementedOperations(server: TestServer): Promise<Implemented[]> {
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  const { config } = server;
  const mailer = new Mailer({ smtpUrl: undefined, from: config.mailFrom, dataDir: config.dataDir, log });
  const notifications = openNotifications(server.engine, config.databaseUrl);
  try {
    const modules = createModules({
      config,
      database: server.database,
      contract,
      notifications,
      signer: new JwtSigner(loadSigningKey(config.dataDir, config.jwtSecret)),
      mailer,
      log,
      vault: await Vault.open(server.database.db, loadMasterKey(config.dataDir, config.masterKey)),
    });
    const out: Implemented[] = [];
    for (const module of modules) {
      for (const [operationId, spec] of Object.entries(module.operations)) {
        const op = contract.byId.get(operationId);
        if (!op) throw new Error(`${module.name}: ${operationId} is not in the contract`);
        out.push({ op, spec });
      }
    }
    return out.sort((a, b) => a.op.operationId.localeCompare(b.op.operationId));
  } finally {
    mailer.close();
    await notifications.close();
  }
}

/** Under /organizations/{organization_canonical}: the authorizer decides who gets in. */
export function isOrganizationScoped(op: ContractOperation): boolean {
  return op.path.includes('{organization_canonical}');
}
