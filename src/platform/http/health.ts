import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { migrationsComplete } from '../db/migrate.js';

/** Probes for orchestrators: liveness says the process answers, readiness that it can serve. */
export function installHealth(app: FastifyInstance, db: Db): void {
  app.get('/healthz', (_request, reply) => {
    reply.send({ status: 'ok' });
  });
  app.get('/readyz', async (_request, reply) => {
    const checks = { database: 'ok', migrations: 'ok' };
    try {
      await sql`select 1`.execute(db);
      if (!(await migrationsComplete(db))) checks.migrations = 'pending';
    } catch {
      checks.database = 'unreachable';
      checks.migrations = 'unknown';
    }
    const ready = checks.database === 'ok' && checks.migrations === 'ok';
    reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
