import type { CredentialType } from '../credentials/raw-fields.js';

export type Purpose = 'events' | 'logs' | 'remote_tfstate' | 'cost_explorer';
export type Configuration = { engine: string } & Record<string, unknown>;

/** What each engine of the contract is for and needs (credentials-and-backends.md §2), as data. */
export interface EngineSpec {
  purposes: readonly Purpose[];
  credential?: { type: CredentialType; required: boolean };
  /** Addresses the server or its pipelines will call, by field: checked against the outbound policy. */
  urls?: (config: Configuration) => Array<[field: string, value: unknown]>;
  /** Bare host names or addresses (vSphere `server`), by field, checked like a URL's host. */
  hosts?: (config: Configuration) => Array<[field: string, value: unknown]>;
  /** Storage engines: the object field, required unless the backend is the default one. */
  objectField?: 'key' | 'object' | 'blob';
  /** Fields the contract leaves optional but the engine cannot work without. */
  needs?: readonly string[];
  /** The engine to use instead (still accepted: existing clients send them). */
  replacedBy?: string;
  check?: (config: Configuration) => string | undefined;
}

const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const awsRegion = (config: Configuration) =>
  AWS_REGION.test(String(config.region)) || config.endpoint
    ? undefined
    : `region: '${String(config.region).slice(0, 40)}' is not an AWS region (e.g. eu-west-1)`;
const optionalUrl =
  (field: string) =>
  (config: Configuration): Array<[string, unknown]> =>
    config[field] === undefined ? [] : [[field, config[field]]];

const awsStorage: EngineSpec = {
  purposes: ['remote_tfstate', 'cost_explorer'],
  credential: { type: 'aws', required: true },
  urls: optionalUrl('endpoint'),
  objectField: 'key',
  check: awsRegion,
};
const gcpStorage: EngineSpec = {
  purposes: ['remote_tfstate'],
  credential: { type: 'gcp', required: true },
  objectField: 'object',
};
const azureStorage: EngineSpec = {
  purposes: ['remote_tfstate'],
  credential: { type: 'azure_storage', required: true },
  urls: optionalUrl('endpoint'),
  objectField: 'blob',
};
const swiftStorage: EngineSpec = {
  purposes: ['remote_tfstate'],
  credential: { type: 'swift', required: true },
  objectField: 'object',
};

export const ENGINES: Record<string, EngineSpec> = {
  AWSStorage: awsStorage,
  AWSRemoteTFState: { ...awsStorage, purposes: ['remote_tfstate'], replacedBy: 'AWSStorage' },
  GCPStorage: gcpStorage,
  GCPRemoteTFState: { ...gcpStorage, replacedBy: 'GCPStorage' },
  AzureStorage: azureStorage,
  AzureRemoteTFState: { ...azureStorage, replacedBy: 'AzureStorage' },
  SwiftStorage: swiftStorage,
  SwiftRemoteTFState: { ...swiftStorage, replacedBy: 'SwiftStorage' },
  // A plain HTTP state server may need no authentication; GitLab's state API always does.
  HTTPStorage: {
    purposes: ['remote_tfstate'],
    credential: { type: 'basic_auth', required: false },
    urls: (c) => [['url', c.url]],
  },
  GitLabHTTPStorage: {
    purposes: ['remote_tfstate'],
    credential: { type: 'basic_auth', required: true },
    urls: (c) => [['url', c.url]],
  },
  AWSCloudWatchLogs: {
    purposes: ['logs', 'events'],
    credential: { type: 'aws', required: true },
    check: awsRegion,
  },
  ElasticsearchLogs: {
    purposes: ['logs'],
    credential: { type: 'elasticsearch', required: false },
    urls: (c) => [
      ...((c.urls as unknown[]) ?? []).map((url): [string, unknown] => ['urls', url]),
      ...Object.entries((c.sources as Record<string, Record<string, { urls?: unknown[] }>>) ?? {}).flatMap(
        ([env, sources]) =>
          Object.entries(sources).flatMap(([name, source]) =>
            (source.urls ?? []).map((url): [string, unknown] => [`sources.${env}.${name}.urls`, url]),
          ),
      ),
    ],
    check: elasticsearchProblem,
  },
  AzureCostExport: {
    purposes: ['cost_explorer'],
    credential: { type: 'azure', required: true },
    urls: (c) => [['blob_service_url', c.blob_service_url]],
    needs: ['blob_service_url', 'name', 'scope'],
  },
  GCPCostStorage: {
    purposes: ['cost_explorer'],
    credential: { type: 'gcp', required: true },
    needs: ['project_id', 'dataset', 'table'],
  },
  // Undocumented purpose upstream; here it backs the infrastructure view (inventory) of vSphere.
  VMwareVsphere: {
    purposes: ['remote_tfstate'],
    credential: { type: 'vmware', required: true },
    hosts: (c) => [['server', c.server]],
    needs: ['server'],
  },
};

const ENV_KEY = /^[\da-zA-Z]+(?:(?:[\da-zA-Z\-._]+)?[\da-zA-Z])?$/;

function elasticsearchProblem(config: Configuration): string | undefined {
  if (config.version !== '7') return `version: only Elasticsearch "7" is supported, got "${String(config.version)}"`;
  if (!Array.isArray(config.urls) || config.urls.length === 0) return 'urls: give at least one Elasticsearch URL';
  const sources = config.sources as Record<string, Record<string, unknown>>;
  if (Object.keys(sources).length === 0) return 'sources: give the log sources of at least one environment';
  for (const [environment, byName] of Object.entries(sources)) {
    if (!ENV_KEY.test(environment)) return `sources: '${environment.slice(0, 100)}' is not an environment canonical`;
    if (Object.keys(byName).length === 0) return `sources.${environment}: give at least one source`;
    // A source without mapping reads cycloid-cli's default fields (hostname, message, timestamp).
    if (Object.keys(byName).some((name) => name.trim() === ''))
      return `sources.${environment}: source names must not be empty`;
  }
  return undefined;
}
