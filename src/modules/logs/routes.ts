import type { Config } from '../../config.js';
import type { Vault } from '../../platform/crypto/sealing.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import { defineOperations, type HandlerContext, type Module } from '../../platform/http/operation.js';
import { credentialById } from '../credentials/lookup.js';
import type { ModuleDeps } from '../deps.js';
import { applicableBackend, type BackendRow } from '../external-backends/repo.js';
import { requireEnvironmentScope } from '../projects/scope.js';
import { cloudWatchEngine } from './cloudwatch.js';
import { type ElasticsearchLogsConfig, elasticsearchEngine } from './elasticsearch.js';
import type { LogEngine } from './engine.js';
import { checkLogWindow } from './time-query.js';

type ProjectEnvironment = { project_canonical: string; environment_canonical: string };

interface EngineContext {
  backend: BackendRow;
  credential: Record<string, string> | undefined;
  project: string;
  config: Config;
}

/** How each logs engine is built from its backend; engines without an entry cannot serve logs. */
const LOG_ENGINES: Record<string, (c: EngineContext) => LogEngine> = {
  ElasticsearchLogs: ({ backend, credential, config }) =>
    elasticsearchEngine(JSON.parse(backend.configuration) as ElasticsearchLogsConfig, credential, config.outbound),
  AWSCloudWatchLogs: ({ backend, credential, project, config }) => {
    if (!credential?.access_key || !credential.secret_key) {
      throw unprocessable(`external backend ${backend.id} has no aws credential any more; attach one`);
    }
    return cloudWatchEngine(
      JSON.parse(backend.configuration) as { region: string },
      { access_key: credential.access_key, secret_key: credential.secret_key },
      { endpoint: config.cloudWatchLogsEndpoint, project, policy: config.outbound },
    );
  },
};

/** Entries answered when the request names no limit. */
const DEFAULT_LIMIT = 1000;

async function engineFor(
  db: DbHandle,
  vault: Vault,
  config: Config,
  ctx: HandlerContext<ProjectEnvironment>,
): Promise<LogEngine | undefined> {
  const orgId = ctx.access!.organization.id;
  const { project_canonical: project, environment_canonical: environment } = ctx.params;
  await requireEnvironmentScope(db, orgId, project, environment);
  const backend = await applicableBackend(db, orgId, 'logs', project, environment);
  if (!backend) return undefined;
  const build = LOG_ENGINES[backend.engine];
  if (!build) throw unprocessable(`external backend ${backend.id} (${backend.engine}) cannot serve logs`);
  const credential =
    backend.credential_id === null ? undefined : (await credentialById(db, vault, orgId, backend.credential_id)).fields;
  return build({ backend, credential, project, config });
}

/**
 * Log sources and entries of a project environment, read from the `logs` external backend that applies
 * (environment, then project, then the organization default). The project and environment must exist
 * (404 otherwise); their canonicals select the backend and the sources.
 */
export function logsModule(deps: ModuleDeps): Module {
  const { vault, config } = deps;
  const operations = defineOperations({
    getProjEnvLogSources: {
      permission: { action: 'organization:log:read' },
      handler: async (ctx) => {
        const engine = await engineFor(ctx.db, vault, config, ctx);
        // No logs backend applies: there are no sources to offer.
        return engine ? engine.sources(ctx.params.environment_canonical) : [];
      },
    },
    getProjEnvLogEntries: {
      permission: { action: 'organization:log:read' },
      extraQuery: { limit: { type: 'integer', minimum: 1, maximum: 10_000 } },
      handler: async (ctx) => {
        const window = checkLogWindow(ctx.query);
        const engine = await engineFor(ctx.db, vault, config, ctx);
        if (!engine) {
          const { project_canonical: p, environment_canonical: e } = ctx.params;
          throw notFound(`a logs external backend for project '${p}' environment '${e}'`);
        }
        return engine.entries(ctx.params.environment_canonical, {
          sourceId: ctx.params.log_source_id,
          ...window,
          limit: typeof ctx.query.limit === 'number' ? ctx.query.limit : DEFAULT_LIMIT,
        });
      },
    },
  });
  return { name: 'logs', operations };
}
