import { buildInfo } from '../../platform/build-info.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { Module } from '../../platform/http/operation.js';
import { defineOperations } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../deps.js';
import { countries } from './countries.js';
import { generalStatus, serviceStatus } from './service.js';

/** Public facts about the server: version, configuration, status, reference data. */
export function systemModule({ database }: ModuleDeps): Module {
  return {
    name: 'system',
    operations: defineOperations({
      getAppVersion: { handler: () => buildInfo() },
      getConfig: { handler: () => ({ sentry_enabled: false }) },
      getCountries: { handler: () => countries() },
      getStatus: { handler: () => generalStatus(database.db) },
      getServiceStatus: {
        handler: async ({ params }) => {
          const report = await serviceStatus(database.db, params.service_status_canonical);
          if (!report) throw notFound(`service '${params.service_status_canonical}'`);
          // The contract signals a failing service with a 500 carrying the report's message.
          if (report.status === 'Error') throw new AppError('InternalError', `${report.canonical}: ${report.message}`);
          return report;
        },
      },
    }),
  };
}
