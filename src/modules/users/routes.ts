import type { Config } from '../../config.js';
import { unauthorized } from '../../platform/errors.js';
import { writeAudit } from '../../platform/events/audit.js';
import type { HandlerContext } from '../../platform/http/operation.js';
import { defineOperations } from '../../platform/http/operation.js';
import { RateLimiter } from '../../platform/http/rate-limit.js';
import type { Module } from '../../platform/module.js';
import { publicBaseUrl } from '../../platform/public-url.js';
import type { ModuleDeps } from '../deps.js';
import type { CallInfo, UsersEnv } from './context.js';
import { confirmLogin, login, refreshSession, sessionUser } from './login.js';
import { logout, pruneRevoked, pruneRevokedJob } from './logout.js';
import { presentAccount } from './present.js';
import {
  deleteAccount,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  saveGuide,
  signUp,
  updateAccount,
  verifyEmail,
} from './service.js';
import { sessionTokenResolver } from './sessions.js';

/** Links in mails point at GANTRY_PUBLIC_URL, else at the address this server listens on. */
function baseUrl(config: Config, ctx: HandlerContext): string {
  return publicBaseUrl(config, ctx.request.socket.localPort);
}

function callInfo(config: Config, ctx: HandlerContext): CallInfo {
  return {
    ip: ctx.request.ip,
    baseUrl: baseUrl(config, ctx),
    audit: (db, record) => writeAudit(db, record, ctx),
  };
}

/**
 * Accounts and sessions (contract tag User). Handlers manage their own transactions: mails leave only
 * after the change is committed, and failed logins must still count against the rate limits. OAuth
 * and AWS Marketplace operations stay unimplemented (501).
 */
export function usersModule(deps: ModuleDeps): Module {
  const env: UsersEnv = {
    db: deps.database.db,
    config: deps.config,
    signer: deps.signer,
    mailer: deps.mailer,
    log: deps.log,
    limiter: new RateLimiter(deps.database.db),
  };
  const call = (ctx: HandlerContext) => callInfo(deps.config, ctx);
  const user = (ctx: HandlerContext) => sessionUser(env.db, ctx.actor);

  return {
    name: 'users',
    accessWrites: 'all',
    tokenResolvers: [sessionTokenResolver(env.db, deps.signer, deps.config.sessionMaxAgeSeconds)],
    jobs: [pruneRevokedJob],
    schedules: [{ kind: pruneRevoked, every: '1h' }],
    operations: defineOperations({
      signUp: { handler: (ctx) => signUp(env, ctx.body, call(ctx)) },
      emailVerificationResend: { handler: (ctx) => resendVerification(env, ctx.body.email, call(ctx)) },
      emailVerification: { handler: (ctx) => verifyEmail(env, ctx.params.verification_token) },
      emailAuthenticationVerification: { handler: (ctx) => confirmLogin(env, ctx.params.authentication_token) },
      login: {
        // An existing user accepts an organization invitation by logging in with its token.
        extraQuery: { invitation_token: { type: 'string', minLength: 5 } },
        handler: (ctx) => login(env, { ...ctx.body, invitation_token: ctx.query.invitation_token }, call(ctx)),
      },
      refreshToken: { handler: (ctx) => refreshSession(env, ctx.actor, ctx.query) },
      // Extension (openapi/extensions.json).
      logout: { handler: (ctx) => logout(ctx.db, deps.config, ctx.actor, ctx.body?.all === true) },
      getUserAccount: { handler: async (ctx) => presentAccount(await user(ctx)) },
      updateUserAccount: { handler: async (ctx) => updateAccount(env, await user(ctx), ctx.body, call(ctx)) },
      deleteUserAccount: { handler: async (ctx) => deleteAccount(env, await user(ctx), call(ctx)) },
      updateUserGuide: {
        handler: async (ctx) => {
          // The contract makes this route public, but there is no account to store an anonymous guide in.
          if (!ctx.actor) throw unauthorized('log in to save the guide: it is stored in your account');
          return saveGuide(env, await user(ctx), ctx.body);
        },
      },
      passwordResetReq: { handler: (ctx) => requestPasswordReset(env, ctx.body.email, call(ctx)) },
      passwordResetUpdate: { handler: (ctx) => resetPassword(env, ctx.body) },
    }),
  };
}
