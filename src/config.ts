import { resolve } from 'node:path';
import { parseMasterKey } from './platform/crypto/sealing.js';
import { MAX_LIMIT_VALUE, TENANT_LIMITS, type TenantLimitName, type TenantLimits } from './platform/limits.js';
import { DEFAULT_OUTBOUND_POLICY, type OutboundPolicy, parseOutboundPolicy } from './platform/net/outbound.js';

/** Typed, validated configuration. Built once from GANTRY_* variables; a bad value stops start-up. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<file>` or a postgres URL. */
  databaseUrl: string;
  databaseEngine: 'sqlite' | 'postgres';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pretty, human-readable logs (defaults to on when stdout is a terminal). */
  logPretty: boolean;
  /** Maximum accepted request body, in bytes. */
  bodyLimit: number;
  /** How long SIGTERM waits for in-flight requests before closing anyway, in ms. */
  shutdownTimeoutMs: number;
  /** Public base URL used in printed messages and mails. */
  publicUrl: string | undefined;
  /** Token signing secret; when unset, a key file in the data directory is created and used. */
  jwtSecret: string | undefined;
  /**
   * Behind reverse proxies: how many hops of X-Forwarded-For to trust, or which proxy addresses
   * (comma-separated addresses or CIDRs); false trusts none. Never "every hop": a client could then
   * choose its own address and escape per-IP rate limits.
   */
  trustProxy: false | number | string;
  /** Longest time a client may take to send a whole request, in ms (slow-client protection). */
  requestTimeoutMs: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Lifetime of session tokens, in seconds. */
  sessionTtlSeconds: number;
  /** How long after a login its session may be refreshed, in seconds (absolute lifetime). */
  sessionMaxAgeSeconds: number;
  smtpUrl: string | undefined;
  /** Longest wait for each step of an SMTP exchange, in ms. */
  smtpTimeoutMs: number;
  mailFrom: string;
  /** Master key sealing secrets at rest; when unset, `<data dir>/master.key` (created on first start). */
  masterKey: string | undefined;
  /** Networks that user-configured addresses (backends, log stores) may not reach. */
  outbound: OutboundPolicy;
  /** Where the server calls Google's APIs (token exchange, BigQuery); overridable for compatible servers. */
  gcp: { tokenUrl: string; bigQueryUrl: string };
  /** AWS CloudWatch Logs endpoint override (any compatible server); unset: AWS's regional endpoint. */
  cloudWatchLogsEndpoint: string | undefined;
  /**
   * Git may read `file://` URLs and local paths. On by default with SQLite (one machine, one operator);
   * off by default with PostgreSQL, where any organization admin could otherwise read any repository
   * on the server's disk.
   */
  gitAllowLocal: boolean;
  /** Largest repository (one branch, shallow) the server fetches, in bytes (GANTRY_GIT_MAX_REPO_MB). */
  gitMaxRepoBytes: number;
  /** Evaluation of infrastructure policies on Terraform plans (docs/infra-policies.md). */
  infraPolicies: {
    /** Step budget of each policy in one validation (GANTRY_INFRA_POLICY_MAX_STEPS). */
    maxSteps: number;
    /** Time budget of one whole validation, every policy included, in ms (GANTRY_INFRA_POLICY_TIMEOUT_MS). */
    timeoutMs: number;
  };
  /** Stack rendering (templates, forms) on worker threads, off the event loop (docs/stack-templating.md). */
  render: {
    /** Worker threads (GANTRY_RENDER_WORKERS; 0 = available cores minus one, at most 4). */
    workers: number;
    /** Time limit of one render, waiting for a worker included, in ms (GANTRY_RENDER_TIMEOUT_MS). */
    timeoutMs: number;
    /** Renders allowed to wait for a worker before new ones get a 503 (GANTRY_RENDER_MAX_QUEUE). */
    maxQueue: number;
  };
  /** First-start administrator and organization (generated when unset). */
  admin: { email: string | undefined; password: string | undefined; organization: string | undefined };
  /** Background jobs (platform/jobs, docs/jobs.md). */
  jobs: {
    /** Whether `gantry serve` runs jobs in process (always on SQLite; PostgreSQL may leave them to workers). */
    serveJobs: boolean;
    /** Jobs one process runs at once. */
    concurrency: number;
    /** How long a job stays claimed without renewal: a dead runner's jobs are taken again after it. */
    leaseMs: number;
    /** Longest wait between two looks at the queue when no notification arrives. */
    pollMs: number;
    /** This process's name in the workers table (default: host name and process id). */
    workerName: string | undefined;
    /** Free-form labels a worker registers with. */
    workerTags: string[];
  };
  /** Per-tenant limits (GANTRY_LIMIT_*, platform/limits.ts) and how long events are kept. */
  limits: TenantLimits;
  events: {
    /** Events older than this many days are deleted by the hourly `events.prune` job. */
    retentionDays: number;
    /** Beyond this many events, an organization's oldest are deleted by the same job. */
    maxPerOrg: number;
  };
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Env = Record<string, string | undefined>;

/** Reads GANTRY_* variables; unknown GANTRY_* names are reported so typos do not go unnoticed. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const known = new Set([
    'GANTRY_HOST',
    'GANTRY_PORT',
    'GANTRY_DATA_DIR',
    'GANTRY_DATABASE_URL',
    'GANTRY_LOG_LEVEL',
    'GANTRY_LOG_PRETTY',
    'GANTRY_BODY_LIMIT',
    'GANTRY_SHUTDOWN_TIMEOUT_MS',
    'GANTRY_PUBLIC_URL',
    'GANTRY_JWT_SECRET',
    'GANTRY_SESSION_TTL',
    'GANTRY_SESSION_MAX_AGE',
    'GANTRY_TRUST_PROXY',
    'GANTRY_SMTP_URL',
    'GANTRY_SMTP_TIMEOUT_MS',
    'GANTRY_MAIL_FROM',
    'GANTRY_ADMIN_EMAIL',
    'GANTRY_ADMIN_PASSWORD',
    'GANTRY_ADMIN_ORG',
    'GANTRY_MASTER_KEY',
    'GANTRY_OUTBOUND_DENY',
    'GANTRY_OUTBOUND_ALLOW',
    'GANTRY_GCP_TOKEN_URL',
    'GANTRY_GCP_BIGQUERY_URL',
    'GANTRY_AWS_CLOUDWATCH_LOGS_ENDPOINT',
    'GANTRY_REQUEST_TIMEOUT_MS',
    'GANTRY_METRICS_TOKEN',
    'GANTRY_GIT_ALLOW_LOCAL',
    'GANTRY_GIT_MAX_REPO_MB',
    'GANTRY_INFRA_POLICY_MAX_STEPS',
    'GANTRY_INFRA_POLICY_TIMEOUT_MS',
    'GANTRY_RENDER_WORKERS',
    'GANTRY_RENDER_TIMEOUT_MS',
    'GANTRY_RENDER_MAX_QUEUE',
    'GANTRY_SERVE_JOBS',
    'GANTRY_JOBS_CONCURRENCY',
    'GANTRY_JOBS_LEASE_MS',
    'GANTRY_JOBS_POLL_MS',
    'GANTRY_WORKER_NAME',
    'GANTRY_WORKER_TAGS',
    // Per-tenant limits and events retention.
    ...Object.values(TENANT_LIMITS).map((limit) => limit.setting),
    'GANTRY_LIMIT_EVENTS_PER_ORG',
    'GANTRY_EVENTS_RETENTION_DAYS',
  ]);
  for (const name of Object.keys(env)) {
    if (name.startsWith('GANTRY_') && !known.has(name) && !name.startsWith('GANTRY_TEST_')) {
      problems.push(`${name} is not a known setting`);
    }
  }

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number, got "${raw}"`);
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max) problems.push(`${name} must be between ${min} and ${max}, got ${value}`);
    return value;
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };

  const host = env.GANTRY_HOST || '127.0.0.1';
  const port = integer('GANTRY_PORT', 8080, 0, 65535);
  const dataDir = resolve(env.GANTRY_DATA_DIR || '.gantry');
  const databaseUrl = env.GANTRY_DATABASE_URL || `sqlite:${resolve(dataDir, 'gantry.db')}`;
  let databaseEngine: Config['databaseEngine'] = 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) databaseEngine = 'postgres';
  else if (!databaseUrl.startsWith('sqlite:')) {
    problems.push('GANTRY_DATABASE_URL must start with postgres://, postgresql:// or sqlite:');
  }
  const logLevel = (env.GANTRY_LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`GANTRY_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const publicUrl = env.GANTRY_PUBLIC_URL || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(publicUrl)) {
    problems.push('GANTRY_PUBLIC_URL must be an http(s) URL');
  }

  const jwtSecret = env.GANTRY_JWT_SECRET || undefined;
  if (jwtSecret !== undefined && jwtSecret.length < 32)
    problems.push('GANTRY_JWT_SECRET must be at least 32 characters');
  const smtpUrl = env.GANTRY_SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl))
    problems.push('GANTRY_SMTP_URL must be an smtp:// or smtps:// URL');
  const adminEmail = env.GANTRY_ADMIN_EMAIL || undefined;
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(adminEmail))
    problems.push('GANTRY_ADMIN_EMAIL must be an email address');
  const adminPassword = env.GANTRY_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8)
    problems.push('GANTRY_ADMIN_PASSWORD must be at least 8 characters');
  const adminOrg = env.GANTRY_ADMIN_ORG || undefined;
  if (adminOrg !== undefined && !/^[a-z0-9]+[a-z0-9\-_]+[a-z0-9]+$/.test(adminOrg)) {
    problems.push(
      'GANTRY_ADMIN_ORG must be an organization canonical (lowercase letters, digits, - and _; 3 characters or more)',
    );
  }

  const masterKey = env.GANTRY_MASTER_KEY || undefined;
  if (masterKey !== undefined) {
    try {
      parseMasterKey(masterKey);
    } catch (error) {
      problems.push(`GANTRY_MASTER_KEY: ${(error as Error).message}`);
    }
  }
  let outbound = DEFAULT_OUTBOUND_POLICY;
  try {
    outbound = parseOutboundPolicy(env.GANTRY_OUTBOUND_DENY ?? '', env.GANTRY_OUTBOUND_ALLOW ?? '');
  } catch (error) {
    problems.push(`GANTRY_OUTBOUND_DENY / GANTRY_OUTBOUND_ALLOW: ${(error as Error).message}`);
  }
  const trustProxy = parseTrustProxy(env.GANTRY_TRUST_PROXY, problems);
  const metricsToken = env.GANTRY_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) {
    problems.push('GANTRY_METRICS_TOKEN must be at least 16 characters');
  }
  const httpUrl = (name: string, fallback: string | undefined): string | undefined => {
    const raw = env[name] || fallback;
    if (raw !== undefined && !/^https?:\/\/[^\s]+$/.test(raw)) problems.push(`${name} must be an http(s) URL`);
    return raw?.replace(/\/+$/, '');
  };

  const serveJobs = boolean('GANTRY_SERVE_JOBS', true);
  if (!serveJobs && databaseEngine === 'sqlite') {
    problems.push('GANTRY_SERVE_JOBS=false needs PostgreSQL: on SQLite only `gantry serve` runs jobs');
  }
  const workerName = env.GANTRY_WORKER_NAME || undefined;
  if (workerName !== undefined && !/^[\w.:@-]{1,150}$/.test(workerName)) {
    problems.push('GANTRY_WORKER_NAME must be 1 to 150 letters, digits, and . _ : @ -');
  }
  const workerTags = (env.GANTRY_WORKER_TAGS ?? '')
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
  for (const tag of workerTags) {
    if (!/^[\w.:=-]{1,64}$/.test(tag)) problems.push(`GANTRY_WORKER_TAGS: '${tag}' is not a valid tag`);
  }

  const config: Config = {
    host,
    port,
    dataDir,
    databaseUrl,
    databaseEngine,
    logLevel,
    logPretty: boolean('GANTRY_LOG_PRETTY', Boolean(process.stdout.isTTY)),
    bodyLimit: integer('GANTRY_BODY_LIMIT', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    shutdownTimeoutMs: integer('GANTRY_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    publicUrl,
    jwtSecret,
    trustProxy,
    requestTimeoutMs: integer('GANTRY_REQUEST_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
    metricsToken,
    sessionTtlSeconds: integer('GANTRY_SESSION_TTL', 3600, 60, 30 * 24 * 3600),
    sessionMaxAgeSeconds: integer('GANTRY_SESSION_MAX_AGE', 30 * 24 * 3600, 300, 365 * 24 * 3600),
    smtpUrl,
    smtpTimeoutMs: integer('GANTRY_SMTP_TIMEOUT_MS', 10_000, 100, 120_000),
    mailFrom: env.GANTRY_MAIL_FROM || 'Gantry <gantry@localhost>',
    masterKey,
    outbound,
    gcp: {
      tokenUrl: httpUrl('GANTRY_GCP_TOKEN_URL', 'https://oauth2.googleapis.com/token') as string,
      bigQueryUrl: httpUrl('GANTRY_GCP_BIGQUERY_URL', 'https://bigquery.googleapis.com') as string,
    },
    cloudWatchLogsEndpoint: httpUrl('GANTRY_AWS_CLOUDWATCH_LOGS_ENDPOINT', undefined),
    gitAllowLocal: boolean('GANTRY_GIT_ALLOW_LOCAL', databaseEngine === 'sqlite'),
    gitMaxRepoBytes: integer('GANTRY_GIT_MAX_REPO_MB', 200, 1, 1024 * 1024) * 1024 * 1024,
    infraPolicies: {
      maxSteps: integer('GANTRY_INFRA_POLICY_MAX_STEPS', 10_000_000, 1_000, 1_000_000_000),
      timeoutMs: integer('GANTRY_INFRA_POLICY_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    render: {
      workers: integer('GANTRY_RENDER_WORKERS', 0, 0, 64),
      timeoutMs: integer('GANTRY_RENDER_TIMEOUT_MS', 10_000, 100, 600_000),
      maxQueue: integer('GANTRY_RENDER_MAX_QUEUE', 64, 1, 10_000),
    },
    admin: { email: adminEmail, password: adminPassword, organization: adminOrg },
    jobs: {
      serveJobs,
      concurrency: integer('GANTRY_JOBS_CONCURRENCY', 4, 1, 256),
      leaseMs: integer('GANTRY_JOBS_LEASE_MS', 30_000, 500, 3_600_000),
      pollMs: integer('GANTRY_JOBS_POLL_MS', 2000, 20, 600_000),
      workerName,
      workerTags,
    },
    limits: Object.fromEntries(
      Object.entries(TENANT_LIMITS).map(([name, limit]) => [
        name,
        integer(limit.setting, limit.fallback, 1, MAX_LIMIT_VALUE),
      ]),
    ) as Record<TenantLimitName, number>,
    events: {
      retentionDays: integer('GANTRY_EVENTS_RETENTION_DAYS', 400, 1, 100 * 365),
      maxPerOrg: integer('GANTRY_LIMIT_EVENTS_PER_ORG', 1_000_000, 1, MAX_LIMIT_VALUE),
    },
    ...overrides,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const ADDRESS_OR_CIDR = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]+)(?:\/\d{1,3})?$/i;

/** GANTRY_TRUST_PROXY: unset/false, a hop count, or proxy addresses and CIDRs; never "trust all". */
function parseTrustProxy(raw: string | undefined, problems: string[]): Config['trustProxy'] {
  if (raw === undefined || raw === '' || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) problems.push(`GANTRY_TRUST_PROXY must be at most 10 hops, got ${hops}`);
    return hops;
  }
  if (/^(1|true|yes|on)$/i.test(raw)) {
    problems.push(
      'GANTRY_TRUST_PROXY=true would trust every X-Forwarded-For hop (a client could choose its own address): give the number of proxies in front of Gantry (e.g. 1) or their addresses (e.g. 10.0.0.5,10.0.1.0/24)',
    );
    return false;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !ADDRESS_OR_CIDR.test(entry));
  if (bad.length > 0) {
    problems.push(`GANTRY_TRUST_PROXY: ${bad.map((b) => `'${b}'`).join(', ')} is not an address or CIDR`);
    return false;
  }
  return entries.join(',');
}
