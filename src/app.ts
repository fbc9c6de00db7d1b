import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import formBody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createModules } from './modules/index.js';
import { createAuthorizer } from './platform/authz/authorizer.js';
import { AuthCache } from './platform/authz/cache.js';
import { JwtSigner } from './platform/crypto/jwt.js';
import { loadSigningKey } from './platform/crypto/keys.js';
import { openInstallationVault } from './platform/crypto/sealing.js';
import type { DatabaseHandle } from './platform/db/database.js';
import { listenForInvalidations } from './platform/db/notifications.js';
import { writeAudit } from './platform/events/audit.js';
import { Authenticator } from './platform/http/auth.js';
import { type Contract, loadContract } from './platform/http/contract.js';
import { installDocs } from './platform/http/docs.js';
import { frameworkError, installErrorHandling } from './platform/http/error-handler.js';
import { installHealth } from './platform/http/health.js';
import { installMetrics } from './platform/http/metrics.js';
import { registerOperations } from './platform/http/registrar.js';
import { createSchemaCompiler } from './platform/http/schemas.js';
import { createLogger } from './platform/log.js';
import { Mailer } from './platform/mail/mailer.js';

declare module 'fastify' {
  interface FastifyInstance {
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
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const JSON_LIKE = /^application\/[\w.+-]*\+json$/;

/** Builds the whole HTTP application; it never listens by itself (tests and main decide that). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps;
  const contract = deps.contract ?? loadContract();
  // Every line that concerns a request carries its request_id through the `req` serializer.
  const log = createLogger(config, deps.logDestination) as FastifyBaseLogger;
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
  const logRequests = ['info', 'debug', 'trace'].includes(log.level);
  installErrorHandling(app, log);
  const recordMetrics = installMetrics(app, config.metricsToken);
  // One hook for both: each hook Fastify runs per request has a cost of its own.
  app.addHook('onResponse', (request, reply, done) => {
    recordMetrics(request, reply);
    if (logRequests) {
      log.info({ req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    }
    done();
  });

  // Only JSON and form bodies are accepted; anything else is a 415.
  app.removeContentTypeParser('text/plain');
  // Cycloid clients send their vendor JSON type; any `+json` type is parsed as JSON. Many clients also
  // send a JSON content type on bodiless calls (DELETE, GET): an empty body is no body, and the
  // operation then decides whether it needed one.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const parseJsonOrNothing: Parameters<typeof app.addContentTypeParser<string>>[2] = (request, body, done) => {
    if (body.trim() === '') return done(null, undefined);
    return parseJson(request, body, done);
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonOrNothing);
  app.addContentTypeParser(JSON_LIKE, { parseAs: 'string' }, parseJsonOrNothing);
  await app.register(formBody, { bodyLimit: config.bodyLimit });

  installHealth(app, database.db);
  installDocs(app);

  const cache = new AuthCache();
  const authenticator = new Authenticator(cache);
  let publishWrite = () => {};
  if (database.engine === 'postgres') {
    const channel = listenForInvalidations(
      config.databaseUrl,
      database.db,
      () => cache.clear(),
      (healthy) => cache.setEnabled(healthy),
    );
    publishWrite = () => channel.publish();
    app.addHook('onClose', async () => channel.close());
  }
  const signer = new JwtSigner(loadSigningKey(config.dataDir, config.jwtSecret));
  const mailer = new Mailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    dataDir: config.dataDir,
    log,
    timeoutMs: config.smtpTimeoutMs,
  });
  app.addHook('onClose', (_instance, done) => {
    mailer.close();
    done();
  });
  const notices: string[] = [];
  app.decorate('notices', notices);
  const opened = deps.vault ?? (await openInstallationVault(database.db, config.dataDir, config.masterKey));
  if (opened.notice) {
    log.warn({ fingerprint: opened.fingerprint }, opened.notice);
    notices.push(opened.notice);
  }
  const vault = opened.vault;
  const modules = createModules({ config, database, contract, authenticator, signer, mailer, log, vault });
  registerOperations(app, modules, {
    contract,
    compiler: createSchemaCompiler(contract),
    db: database.db,
    authenticator,
    authorizer: createAuthorizer(cache),
    log,
    audit: writeAudit,
    onAccessWrite: () => {
      cache.clear();
      publishWrite();
    },
  });
  return app;
}
