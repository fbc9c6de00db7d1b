import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createModules } from './modules/index.js';
import { createAuthorizer } from './platform/authz/authorizer.js';
import { AuthCache } from './platform/authz/cache.js';
import { registerOwnedKinds } from './platform/authz/owned-kinds.js';
import { registerComponentListeners } from './platform/component-listeners.js';
import { registerCredentialUsers } from './platform/credential-users.js';
import { JwtSigner } from './platform/crypto/jwt.js';
import { loadSigningKey } from './platform/crypto/keys.js';
import { openInstallationVault } from './platform/crypto/sealing.js';
import type { DatabaseHandle } from './platform/db/database.js';
import { type Notifications, openNotifications } from './platform/db/notifications.js';
import { writeAudit } from './platform/events/audit.js';
import { Authenticator } from './platform/http/auth.js';
import { installBodyParsers } from './platform/http/bodies.js';
import { type Contract, loadContract } from './platform/http/contract.js';
import { installDocs } from './platform/http/docs.js';
import { frameworkError, installErrorHandling } from './platform/http/error-handler.js';
import { installHealth } from './platform/http/health.js';
import { installMetrics } from './platform/http/metrics.js';
import { registerOperations } from './platform/http/registrar.js';
import { createSchemaCompiler } from './platform/http/schemas.js';
import { StreamHub } from './platform/http/stream.js';
import { jobsModule } from './platform/jobs/module.js';
import { JobRunner } from './platform/jobs/runner.js';
import { bindTenantLimits } from './platform/limits.js';
import { createLogger, createRequestLine, type RequestLine } from './platform/log.js';
import { Mailer } from './platform/mail/mailer.js';
import { type Module, startModules } from './platform/module.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The embedded job runner, once the app is ready (undefined when `GANTRY_SERVE_JOBS` is off). */
    jobRunner: JobRunner | undefined;
    /** The application's logger (Fastify's own is off; see buildApp). */
    logger: FastifyBaseLogger;
    /** Things the operator must act on, printed with the start banner (e.g. a master key just created). */
    notices: string[];
  }
}

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  contract?: Contract;
  /** The vault, when the caller opened it already (serve does, before creating the first admin). */
  vault?: Awaited<ReturnType<typeof openInstallationVault>>;
  /** Where log lines go (defaults to stdout); tests use it to inspect what is logged. */
  logDestination?: Writable;
  /** Modules beside the built-in ones (tests add job kinds this way). */
  extraModules?: (platform: Platform) => Module[];
}

/**
 * Everything the modules are built on, without HTTP: what `gantry serve` and `gantry worker` share.
 * Its `close` releases what it opened (not the database, which the caller owns).
 */
export interface Platform {
  config: Config;
  database: DatabaseHandle;
  contract: Contract;
  log: FastifyBaseLogger;
  /** Writes the one line per request (see createRequestLine); undefined above the `info` level. */
  requestLine: RequestLine | undefined;
  signer: JwtSigner;
  mailer: Mailer;
  vault: Awaited<ReturnType<typeof openInstallationVault>>['vault'];
  notifications: Notifications;
  /** Things the operator must act on, printed with the start banner (e.g. a master key just created). */
  notices: string[];
  close(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** The channel on which a replica tells the others (and itself) that identity data changed. */
const AUTH_CACHE_CHANNEL = 'gantry_auth_cache';

export async function createPlatform(deps: AppDeps): Promise<Platform> {
  const { config, database } = deps;
  bindTenantLimits(database.db, config.limits);
  const contract = deps.contract ?? loadContract();
  // Every line that concerns a request carries its request_id through the `req` serializer.
  const log = createLogger(config, deps.logDestination) as FastifyBaseLogger;
  const signer = new JwtSigner(loadSigningKey(config.dataDir, config.jwtSecret));
  const notices: string[] = [];
  const opened = deps.vault ?? (await openInstallationVault(database.db, config.dataDir, config.masterKey));
  if (opened.notice) {
    log.warn({ fingerprint: opened.fingerprint }, opened.notice);
    notices.push(opened.notice);
  }
  const mailer = new Mailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    dataDir: config.dataDir,
    log,
    timeoutMs: config.smtpTimeoutMs,
  });
  const notifications = openNotifications(database.engine, config.databaseUrl);
  return {
    config,
    database,
    contract,
    log,
    requestLine: createRequestLine(config, deps.logDestination),
    signer,
    mailer,
    vault: opened.vault,
    notifications,
    notices,
    async close() {
      mailer.close();
      await notifications.close();
    },
  };
}

/** The modules on a platform: the built-in ones, then any extra ones; their owned kinds, credential users and component listeners registered. */
export function platformModules(platform: Platform, extra?: (platform: Platform) => Module[]): Module[] {
  const modules = [jobsModule(), ...createModules(platform), ...(extra?.(platform) ?? [])];
  registerOwnedKinds(modules.flatMap((m) => m.ownedKinds ?? []));
  registerCredentialUsers(modules.flatMap((m) => m.credentialUsers ?? []));
  registerComponentListeners(modules.flatMap((m) => m.componentListeners ?? []));
  return modules;
}

/** The job runner of a process: every kind and schedule the modules contribute. */
export function createJobRunner(platform: Platform, modules: Module[]): JobRunner {
  const { config } = platform;
  return new JobRunner({
    db: platform.database.db,
    notifications: platform.notifications,
    log: platform.log,
    jobs: modules.flatMap((m) => m.jobs ?? []),
    schedules: modules.flatMap((m) => m.schedules ?? []),
    name: config.jobs.workerName ?? `${hostname()}-${process.pid}`,
    tags: config.jobs.workerTags,
    concurrency: config.jobs.concurrency,
    leaseMs: config.jobs.leaseMs,
    pollMs: config.jobs.pollMs,
  });
}

/**
 * Starts the modules (their start hooks, then, unless `runJobs` is false, the job runner); the
 * returned stop drains the runner and runs the stop hooks in reverse order.
 */
export async function startLifecycle(
  platform: Platform,
  modules: Module[],
  runJobs: boolean,
): Promise<{ runner: JobRunner | undefined; stop(): Promise<void> }> {
  const stopModules = await startModules(modules);
  const runner = runJobs ? createJobRunner(platform, modules) : undefined;
  try {
    await runner?.start();
  } catch (error) {
    await stopModules();
    throw error;
  }
  return {
    runner,
    async stop() {
      // Jobs in hand get most of the shutdown time; what is left closes the rest.
      await runner?.stop(Math.max(0, platform.config.shutdownTimeoutMs - 1000));
      await stopModules();
    },
  };
}

/**
 * Builds the whole HTTP application; it never listens by itself (tests and main decide that). The
 * modules start when the app is ready (the embedded job runner with them, when `GANTRY_SERVE_JOBS`
 * allows) and stop when it closes.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const platform = await createPlatform(deps);
  try {
    const modules = platformModules(platform, deps.extraModules);
    const app = await buildHttp(platform, modules);
    let lifecycle: Awaited<ReturnType<typeof startLifecycle>> | undefined;
    app.decorate('jobRunner', { getter: () => lifecycle?.runner });
    app.addHook('onReady', async () => {
      lifecycle = await startLifecycle(platform, modules, platform.config.jobs.serveJobs);
    });
    app.addHook('onClose', async () => {
      await lifecycle?.stop();
      await platform.close();
    });
    return app;
  } catch (error) {
    await platform.close();
    throw error;
  }
}

/** The HTTP side: Fastify, the contract's operations, the auth cache and its invalidation. */
export async function buildHttp(platform: Platform, modules: Module[]): Promise<FastifyInstance> {
  const { config, database, contract, log, requestLine, notifications } = platform;
  const app = Fastify({
    // Fastify's own per-request logger machinery costs a sixth of the throughput of a small GET even
    // when nothing is logged; the app logs through its own instance (`app.logger`) instead.
    logger: false,
    bodyLimit: config.bodyLimit,
    // One line per request is written by our onResponse hook instead of Fastify's two.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Some clients expect an /api prefix; the same routes answer there.
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      return url.startsWith('/api/') ? url.slice(4) : url === '/api' ? '/' : url;
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    frameworkErrors: frameworkError,
    return503OnClosing: true,
    // A hop count trusts that many proxies in front of the server (as proxy-addr counts them).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    // A client must send its whole request within this time (slow-client protection).
    requestTimeout: config.requestTimeoutMs,
  });

  app.decorate('logger', log);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Answers are data, never something a browser should guess a type for or frame.
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    done();
  });
  installErrorHandling(app, log);
  const recordMetrics = installMetrics(app, config.metricsToken);
  // One hook for both: each hook Fastify runs per request has a cost of its own.
  app.addHook('onResponse', (request, reply, done) => {
    recordMetrics(request, reply);
    requestLine?.(request, reply.statusCode, Math.round(reply.elapsedTime));
    done();
  });

  // JSON and form bodies everywhere, binary types where an operation declares them; anything else is a 415.
  await installBodyParsers(app, config.bodyLimit);

  installHealth(app, database.db);
  installDocs(app, contract);

  // Event streams end at shutdown, after their grace period; new requests get a 503 meanwhile.
  const streams = new StreamHub();
  app.addHook('preClose', () => streams.closeAll());

  // Identity and access read between writes that can change them (Module.accessWrites) are cached;
  // such a write clears this replica's cache at once and tells the others. While the channel is down
  // (messages could be missed) the cache is off.
  const cache = new AuthCache();
  const unsubscribe = [
    notifications.subscribe(AUTH_CACHE_CHANNEL, () => cache.clear()),
    notifications.onHealth((healthy) => cache.setEnabled(healthy)),
  ];
  app.addHook('onClose', async () => {
    for (const off of unsubscribe) off();
  });
  const publishWrite = () => {
    notifications.publish(database.db, AUTH_CACHE_CHANNEL).catch((error) => {
      log.warn({ err: error }, 'could not tell the other replicas to clear their auth caches');
    });
  };
  const authenticator = new Authenticator(cache);
  for (const module of modules) for (const resolver of module.tokenResolvers ?? []) authenticator.use(resolver);
  app.decorate('notices', platform.notices);
  registerOperations(app, modules, {
    contract,
    compiler: createSchemaCompiler(contract),
    db: database.db,
    authenticator,
    authorizer: createAuthorizer(cache),
    accessCache: cache,
    audit: writeAudit,
    log,
    streams,
    onAccessWrite: () => {
      cache.clear();
      publishWrite();
    },
  });
  return app;
}
