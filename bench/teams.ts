import { performance } from 'node:perf_hooks';
import type { FastifyRequest } from 'fastify';
import { insertAcceptedMember } from '../src/modules/members/repo.js';
import { findTeam } from '../src/modules/teams/repo.js';
import { issueSessionToken, sessionTokenResolver } from '../src/modules/users/sessions.js';
import { accessTo, demand } from '../src/platform/authz/access.js';
import { createAuthorizer } from '../src/platform/authz/authorizer.js';
import { AuthCache } from '../src/platform/authz/cache.js';
import { JwtSigner } from '../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../src/platform/crypto/keys.js';
import type { DatabaseHandle } from '../src/platform/db/database.js';
import { Authenticator } from '../src/platform/http/auth.js';
import type { HandlerContext } from '../src/platform/http/operation.js';
import {
  type AutocannonResult,
  autocannon,
  type BenchStack,
  benchOrganization,
  benchUser,
  envNumber,
  median,
  out,
  round1,
  startBenchStack,
} from './common.js';

const TEAMS = 50;
const MEMBERS = 8;

interface Target {
  key: string;
  label: string;
  url: string;
  headers: Record<string, string>;
  bytes?: number;
}
interface Run {
  r: AutocannonResult;
  busyMs: number;
}

async function measure(target: Target, duration: number, connections: number): Promise<Run> {
  const before = performance.eventLoopUtilization();
  const r = await new Promise<AutocannonResult>((resolve, reject) =>
    autocannon(
      { url: target.url, headers: target.headers, connections, duration, workers: 1, timeout: 10 },
      (e, res) => (e ? reject(e) : resolve(res)),
    ),
  );
  return { r, busyMs: performance.eventLoopUtilization(before).active };
}

function problemOf(r: AutocannonResult): string | undefined {
  const problems = [
    r.errors ? `${r.errors} errors` : '',
    r.timeouts ? `${r.timeouts} timeouts` : '',
    r.non2xx ? `${r.non2xx} non-2xx (${Object.keys(r.statusCodeStats).join(', ')})` : '',
    r.requests.total === 0 ? 'no request completed' : '',
  ].filter(Boolean);
  return problems.length ? problems.join('; ') : undefined;
}

/** An organization with an admin, MEMBERS members and TEAMS teams (each with a few members). */
async function seed(database: DatabaseHandle) {
  const db = database.db;
  const user = (username: string) => benchUser(database, username);
  const admin = await user('bench-admin');
  const { org, memberRoleId } = await benchOrganization(database, admin.id);
  const members: string[] = [];
  for (let i = 1; i <= MEMBERS; i++) {
    const m = await user(`bench-member-${i}`);
    members.push(m.username);
    await insertAcceptedMember(db, { organizationId: org.id, userId: m.id, roleId: memberRoleId });
  }
  return { admin, org, members };
}

async function main(): Promise<number> {
  const duration = envNumber('BENCH_DURATION', 5, 1);
  const connections = Math.round(envNumber('BENCH_CONNECTIONS', 10, 1));
  const warmup = envNumber('BENCH_WARMUP', 1, 0);
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 2, 1));
  const iterations = Math.round(envNumber('BENCH_ITERATIONS', 10_000, 100));
  const logLevel = (process.env.BENCH_LOG_LEVEL || 'warn') as 'warn';

  const problems: string[] = [];
  let stack: BenchStack | undefined;
  try {
    stack = await startBenchStack('teams', logLevel);
    const { tmp, config, database, base, bareUrl } = stack;

    const signer = new JwtSigner(loadSigningKey(config.dataDir, config.jwtSecret));
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.text();
    };
    const { admin, org, members } = await seed(database);
    const session = issueSessionToken(signer, 3600, admin);
    for (let i = 1; i <= TEAMS; i++) {
      const canonical = `team-${String(i).padStart(2, '0')}`;
      await call('POST', `/organizations/${org.canonical}/teams`, session, {
        name: `Team ${i}`,
        canonical,
        roles_canonical: ['default-project-viewer'],
      });
      for (const username of members.slice(0, 1 + (i % MEMBERS))) {
        await call('POST', `/organizations/${org.canonical}/teams/${canonical}/members`, session, { username });
      }
    }
    const teamPath = `/organizations/${org.canonical}/teams/team-07`;
    const listPath = `/organizations/${org.canonical}/teams`;

    // API keys are another module's; measured only when it is there.
    const apiKeys = await import('../src/modules/api-keys/service.js').catch(() => undefined);
    const apiKeyToken = apiKeys?.createApiKey
      ? (
          await apiKeys.createApiKey(database.db, {
            organizationId: org.id,
            name: 'bench key',
            ownerUserId: admin.id,
            createdBy: admin.id,
            rules: [{ action: 'organization:**', resources: [] }],
            readonly: false,
          })
        ).token
      : undefined;

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const targets: Target[] = [
      { key: 'bare', label: 'bare node:http GET /', url: bareUrl, headers: {} },
      { key: 'teamSession', label: 'GET team (session token)', url: base + teamPath, headers: bearer(session) },
      ...(apiKeyToken
        ? [{ key: 'teamApiKey', label: 'GET team (API key)', url: base + teamPath, headers: bearer(apiKeyToken) }]
        : []),
      {
        key: 'list50',
        label: `GET teams (${TEAMS} per page, session)`,
        url: base + listPath,
        headers: bearer(session),
      },
    ];
    for (const t of targets) t.bytes = (await (await fetch(t.url, { headers: t.headers })).arrayBuffer()).byteLength;

    out('Gantry teams benchmark');
    out(`  node ${process.version}, sqlite in ${tmp}, GANTRY_LOG_LEVEL=${logLevel}`);
    out(`  ${connections} connections, ${warmup} s warm-up per target, ${duration} s per run, ${rounds} rounds`);
    out(
      `  ${TEAMS} teams of 1-${MEMBERS} members, role default-project-viewer; API key: ${apiKeyToken ? 'yes' : 'no'}`,
    );
    out();
    if (warmup > 0) for (const t of targets) await measure(t, warmup, connections);
    const runs = new Map<string, Run[]>(targets.map((t) => [t.key, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const t of targets) {
        const run = await measure(t, duration, connections);
        runs.get(t.key)!.push(run);
        const problem = problemOf(run.r);
        if (problem) problems.push(`round ${round} ${t.label}: ${problem}`);
        out(
          `round ${round}  ${t.label.padEnd(38)} ${run.r.requests.average.toFixed(0).padStart(7)} req/s  p99 ${String(run.r.latency.p99).padStart(3)} ms${problem ? `  PROBLEM: ${problem}` : ''}`,
        );
      }
    }
    const summary = Object.fromEntries(
      targets.map((t) => {
        const rs = runs.get(t.key)!;
        const usPerReq = median(rs.map((x) => (1000 * x.busyMs) / Math.max(1, x.r.requests.total)));
        return [
          t.key,
          {
            label: t.label,
            bytes: t.bytes,
            rps: round1(median(rs.map((x) => x.r.requests.average))),
            p99Ms: median(rs.map((x) => x.r.latency.p99)),
            serverUsPerReq: round1(usPerReq),
          },
        ];
      }),
    );
    out();
    out(`median of ${rounds} rounds`);
    out(
      `  ${'target'.padEnd(38)} ${'bytes'.padStart(7)} ${'req/s'.padStart(8)} ${'p99 ms'.padStart(7)} ${'% of bare'.padStart(10)} ${'server µs/req'.padStart(14)}`,
    );
    for (const t of targets) {
      const s = summary[t.key];
      const pct = (100 * s.rps) / summary.bare.rps;
      out(
        `  ${t.label.padEnd(38)} ${String(s.bytes).padStart(7)} ${s.rps.toFixed(0).padStart(8)} ${String(s.p99Ms).padStart(7)} ${`${pct.toFixed(1)}%`.padStart(10)} ${s.serverUsPerReq.toFixed(1).padStart(14)}`,
      );
    }

    const micro = await authorizationCost(database, signer, org.canonical, session, apiKeyToken, iterations);
    out();
    out(`identity + authorization per request (${iterations} iterations each, same process, idle server)`);
    for (const [label, us] of Object.entries(micro)) out(`  ${label.padEnd(52)} ${us.toFixed(1).padStart(8)} µs`);
    if (problems.length) {
      out();
      out('PROBLEMS:');
      for (const p of problems) out(`  - ${p}`);
    }
    out();
    out(`BENCH_RESULT ${JSON.stringify({ ok: problems.length === 0, connections, duration, rounds, summary, micro })}`);
  } catch (error) {
    problems.push(String(error));
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    out(`BENCH_RESULT ${JSON.stringify({ ok: false, error: String(error) })}`);
  } finally {
    await stack?.close();
  }
  return problems.length ? 1 : 0;
}

/**
 * Average microseconds per call of each step of getTeam's authorization, run sequentially against
 * the real database with the same resolvers as the app: token -> actor, actor -> rules in the
 * organization, the team's owner (getTeam's permission asks for it), and the rule evaluation itself.
 */
async function authorizationCost(
  database: DatabaseHandle,
  signer: JwtSigner,
  orgCanonical: string,
  session: string,
  apiKeyToken: string | undefined,
  iterations: number,
): Promise<Record<string, number>> {
  const db = database.db;
  const authenticator = new Authenticator();
  const cache = new AuthCache();
  const cachedAuthenticator = new Authenticator(cache);
  const authorize = createAuthorizer(cache);
  const apiKeyTokens = await import('../src/modules/api-keys/tokens.js').catch(() => undefined);
  for (const auth of [authenticator, cachedAuthenticator]) {
    auth.use(sessionTokenResolver(db, signer, 30 * 24 * 3600));
    if (apiKeyTokens?.apiKeyTokenResolver) auth.use(apiKeyTokenResolver(apiKeyTokens, db));
  }
  const request = (token: string) =>
    ({
      headers: { authorization: `Bearer ${token}` },
      query: {},
      routeOptions: { config: { operationId: 'getTeam' } },
      log: { warn() {} },
    }) as unknown as FastifyRequest;

  const time = async (fn: () => Promise<unknown> | unknown) => {
    for (let i = 0; i < Math.min(500, iterations); i++) await fn();
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    return (1000 * (performance.now() - start)) / iterations;
  };
  const results: Record<string, number> = {};
  const tokens: Array<[string, string]> = [['session', session]];
  if (apiKeyToken && apiKeyTokens) tokens.push(['API key', apiKeyToken]);
  for (const [kind, token] of tokens) {
    const req = request(token);
    const actor = await authenticator.authenticate(req);
    const access = await accessTo(db, actor, orgCanonical);
    const orgId = access.organization.id;
    results[`${kind}: authenticate (token -> actor)`] = await time(() => authenticator.authenticate(req));
    results[`${kind}: accessTo (org chain + effective rules)`] = await time(() => accessTo(db, actor, orgCanonical));
    results[`${kind}: team owner lookup`] = await time(() => findTeam(db, orgId, 'team-07'));
    results[`${kind}: demand (rule evaluation only)`] = await time(() =>
      demand(access, 'organization:team:read', ['team-07'], null),
    );
    results[`${kind}: all of the above, per request`] = await time(async () => {
      const a = await authenticator.authenticate(req);
      const acc = await accessTo(db, a, orgCanonical);
      const team = await findTeam(db, acc.organization.id, 'team-07');
      demand(acc, 'organization:team:read', ['team-07'], team?.owner_user_id);
    });
    // What the server actually runs between writes: token and access come from the auth cache.
    results[`${kind}: cached token + access + rule check (no owner)`] = await time(async () => {
      const a = await cachedAuthenticator.authenticate(req);
      await authorize({ action: 'organization:team:read', entities: () => ['team-07'] }, {
        actor: a,
        db,
        params: { organization_canonical: orgCanonical },
      } as unknown as HandlerContext);
    });
  }
  for (const key of Object.keys(results)) results[key] = round1(results[key]);
  return results;
}

function apiKeyTokenResolver(module: typeof import('../src/modules/api-keys/tokens.js'), db: DatabaseHandle['db']) {
  return module.apiKeyTokenResolver(db);
}

process.exitCode = await main();
