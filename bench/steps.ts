/**
 * The per-request work of the HTTP path, one step at a time (issue "fast reads", item 2): what each
 * piece a request goes through costs on its own, timed in a tight loop in this process, so a change to
 * one of them can be judged without the noise of a full load test.
 *
 *   npm run bench:steps        (about 20 s)
 *
 * Steps: the request id, the request log line (the real request logger, writing to /dev/null through
 * the same buffered destination kind as standard output), the metrics recorder, the response serializer
 * of `getTeam` and of a 50-team page (the contract's schema, fast-json-stringify), token resolution and
 * the permission check served from the auth cache, and Fastify's own routing and reply for a bare route.
 * Each line is the median of BENCH_ROUNDS (5) runs of BENCH_ITERATIONS (20,000) calls.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import pino from 'pino';
import { loadContract } from '../src/platform/http/contract.js';
import { installMetrics } from '../src/platform/http/metrics.js';
import { compileOperation } from '../src/platform/http/registrar.js';
import { createSchemaCompiler } from '../src/platform/http/schemas.js';
import { batchLines, createRequestLine, createRequestLogger } from '../src/platform/log.js';
import { envNumber, median, out, round1 } from './common.js';

const ROUNDS = envNumber('BENCH_ROUNDS', 5, 1);
const ITERATIONS = envNumber('BENCH_ITERATIONS', 20_000, 100);

/** Median µs per call of `step` over the rounds; awaits only when the step returns a promise. */
async function time(step: () => unknown, iterations = ITERATIONS): Promise<number> {
  const runs: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const result = step();
      if (result instanceof Promise) await result;
    }
    // The first round warms the code up and is not counted.
    if (round > 0) runs.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  return median(runs);
}

const rules = Array.from({ length: 30 }, (_, i) => ({
  id: i + 1,
  action: `organization:thing_${i}:read`,
  effect: 'allow',
  resources: [],
}));
const role = {
  canonical: 'organization-member',
  name: 'Organization member',
  description: 'Reads what the organization has',
  id: 3,
  default: true,
  rules,
  created_at: 1_700_000_000,
  updated_at: 1_700_000_000,
};
const team = (i: number) => ({
  id: i + 1,
  canonical: `team-${String(i).padStart(3, '0')}`,
  name: `Team ${i}`,
  member_count: 1,
  members_preview: [],
  roles: [role],
  created_at: 1_700_000_000,
  updated_at: 1_700_000_000,
});

async function main() {
  const results: Array<[string, number]> = [];
  const add = async (label: string, step: () => unknown, iterations?: number) => {
    results.push([label, await time(step, iterations)]);
  };

  await add('request id (randomUUID)', () => randomUUID());

  // The same destination kind as standard output in production (sonic-boom, buffered 8 KiB).
  const devNull = () => pino.destination({ dest: '/dev/null', sync: false, minLength: 8192 }) as unknown as Writable;
  const logger = createRequestLogger({ logLevel: 'info', logPretty: false }, devNull());
  const requestLine = createRequestLine({ logLevel: 'info', logPretty: false }, devNull())!;
  // As `gantry serve` writes them: batched into the buffered stream 16 KiB at a time.
  const batchedLine = createRequestLine(
    { logLevel: 'info', logPretty: false },
    batchLines(pino.destination({ dest: '/dev/null', sync: false, minLength: 8192 })),
  )!;
  const request = {
    method: 'GET',
    url: '/organizations/main/teams/team-007',
    id: '0b6e7f4c-8d1e-4f39-a7a4-5c2b9f0e1d23',
    routeOptions: {
      config: { operationId: 'getTeam' },
      url: '/organizations/:organization_canonical/teams/:team_canonical',
    },
  } as unknown as FastifyRequest;
  const reply = { statusCode: 200, elapsedTime: 1.7 } as unknown as FastifyReply;
  await add('request log line through pino (info, buffered)', () =>
    logger.info({ req: request, status: 200, ms: 2 }, 'request'),
  );
  await add('request log line composed, one stream write each', () => requestLine(request, 200, 2));
  await add('request log line as served (composed, batched writes)', () => batchedLine(request, 200, 2));

  const metricsApp = Fastify();
  const record = installMetrics(metricsApp);
  await add('metrics (counter + latency histogram)', () => record(request, reply));
  await metricsApp.close();

  const contract = loadContract();
  const compiler = createSchemaCompiler(contract);
  const getTeam = compileOperation(contract.byId.get('getTeam')!, compiler);
  const getTeams = compileOperation(contract.byId.get('getTeams')!, compiler);
  const one = { data: team(7) };
  const page = { data: Array.from({ length: 50 }, (_, i) => team(i)), pagination: { index: 1, size: 50, total: 60 } };
  const serializeOne = getTeam.serializer(200)!;
  const serializePage = getTeams.serializer(200)!;
  await add(`serialize one team (${serializeOne(one).length} bytes)`, () => serializeOne(one));
  await add(`serialize 50 teams (${serializePage(page).length} bytes)`, () => serializePage(page), 500);
  await add('  the same with JSON.stringify', () => JSON.stringify(page), 500);

  // Fastify's own share: routing, hooks machinery and reply for a route that does nothing.
  const bare = Fastify({ logger: false });
  bare.get('/organizations/:organization_canonical/teams/:team_canonical', async () => ({ data: 1 }));
  await bare.ready();
  await add(
    'Fastify inject, a route doing nothing',
    () => bare.inject({ method: 'GET', url: '/organizations/main/teams/team-007' }),
    5_000,
  );
  await bare.close();

  out(`HTTP path, one step at a time (median of ${ROUNDS} rounds; µs per call)`);
  out('');
  out('| step | µs |');
  out('|---|---|');
  for (const [label, us] of results) out(`| ${label} | ${round1(us)} |`);
}

await main();
