import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { migrationsComplete } from '../../platform/db/migrate.js';

export type CheckStatus = 'Unknown' | 'Success' | 'Error';

export interface CheckReport {
  canonical: string;
  category: string;
  message: string;
  status: CheckStatus;
}

type Check = (db: Db) => Promise<Omit<CheckReport, 'canonical' | 'category'>>;

/**
 * The subsystems status reports on. Each check tells the truth about what runs in this process;
 * subsystems that are not part of this build say so rather than claiming success.
 */
const CHECKS: Record<string, { category: string; check: Check }> = {
  database: {
    category: 'storage',
    check: async (db) => {
      const started = performance.now();
      try {
        await sql`select 1`.execute(db);
        return { status: 'Success', message: `reachable (${(performance.now() - started).toFixed(1)} ms)` };
      } catch (error) {
        return { status: 'Error', message: `unreachable: ${(error as Error).message.slice(0, 200)}` };
      }
    },
  },
  migrations: {
    category: 'storage',
    check: async (db) => {
      try {
        return (await migrationsComplete(db))
          ? { status: 'Success', message: 'schema is up to date' }
          : { status: 'Error', message: 'migrations are pending; run `gantry migrate`' };
      } catch {
        return { status: 'Error', message: 'cannot read the migration table' };
      }
    },
  },
  'pipeline-scheduler': {
    category: 'pipelines',
    check: async () => ({ status: 'Unknown', message: 'not part of this build yet' }),
  },
  'mail-delivery': {
    category: 'notifications',
    check: async () => ({ status: 'Unknown', message: 'not part of this build yet' }),
  },
  'cost-explorer': {
    category: 'visibility',
    check: async () => ({ status: 'Unknown', message: 'not part of this build yet' }),
  },
};

export function knownServices(): string[] {
  return Object.keys(CHECKS);
}

export async function serviceStatus(db: Db, canonical: string): Promise<CheckReport | undefined> {
  const entry = Object.hasOwn(CHECKS, canonical) ? CHECKS[canonical] : undefined;
  if (!entry) return undefined;
  return { canonical, category: entry.category, ...(await entry.check(db)) };
}

export async function generalStatus(db: Db) {
  const checks = await Promise.all(knownServices().map(async (name) => (await serviceStatus(db, name)) as CheckReport));
  const failed = checks.filter((c) => c.status === 'Error');
  return {
    status: (failed.length > 0 ? 'Error' : 'Success') as CheckStatus,
    message:
      failed.length > 0 ? `${failed.map((c) => c.canonical).join(', ')} failing` : 'all running services are healthy',
    checks,
  };
}
