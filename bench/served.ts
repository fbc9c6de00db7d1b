/**
 * The read path as users meet it: `gantry serve` started as its own process with the default
 * configuration (log level info, SQLite in a fresh data directory), against a bare node:http process
 * started beside it, measured in interleaved rounds by a load generator in this third process.
 *
 *   npm run bench:served        (builds first: the server runs from dist/ as `npm start` runs it)
 *
 * Targets: GET /version; GET one team with a session token and with an API key; GET a page of 50
 * teams; POST a team (round the main organization's 100 children: an organization holds at most 1,000 by default). Each is reported as a ratio of the bare server's requests/second, with the server
 * process's CPU time per request (from /proc, user + system). Environment: BENCH_DURATION (s, default
 * 4), BENCH_CONNECTIONS (default 10), BENCH_ROUNDS (default 3).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AutocannonResult, autocannon, BARE_BODY, envNumber, median, out, round1 } from './common.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const DURATION = envNumber('BENCH_DURATION', 4, 1);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 10, 1);
const ROUNDS = envNumber('BENCH_ROUNDS', 3, 1);
const PASSWORD = 'bench-password-of-some-length';
const CLOCK_TICKS = 100;

/** Starts a process and resolves with its base URL once it prints one matching `pattern`. */
function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      // Keep only the start banner: the request log of a long run would fill memory for nothing.
      if (seen.length < 20_000) seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${seen}`)));
  });
}

/** CPU time (user + system) of a process so far, in milliseconds. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

interface Target {
  label: string;
  server: 'bare' | 'bare-page' | 'fastify' | 'gantry' | 'gantry-warn';
  path: string;
  method?: string;
  token?: string;
  /** A fresh body per request (POST targets). */
  body?: () => unknown;
  /** A path per request (POST targets spread over organizations). */
  pathOf?: () => string;
}

function load(base: string, target: Target): Promise<AutocannonResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: base + target.path,
        connections: CONNECTIONS,
        duration: DURATION,
        requests: [
          {
            method: target.method ?? 'GET',
            headers,
            ...(target.body
              ? {
                  setupRequest: (req: any) => ({
                    ...req,
                    ...(target.pathOf ? { path: target.pathOf() } : {}),
                    body: JSON.stringify(target.body!()),
                  }),
                }
              : {}),
          },
        ],
        ...(target.body ? { idReplacement: false } : {}),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-served-'));
  const children: ChildProcess[] = [];
  try {
    const bare = await startProcess(
      [
        '-e',
        `const b=${JSON.stringify(BARE_BODY)};require('node:http').createServer((q,s)=>{s.writeHead(200,{'content-type':'application/json; charset=utf-8','content-length':b.length});s.end(b)}).listen(0,'127.0.0.1',function(){console.log('bare at http://127.0.0.1:'+this.address().port)})`,
      ],
      process.env,
      /bare at (http:\/\/\S+)/,
    );
    children.push(bare.child);
    // The floor under GET /version: Fastify alone (no hooks, no logger) answering the same body, and
    // Gantry with its request log off (GANTRY_LOG_LEVEL=warn): what the framework, then the request
    // log line, take of the bare server's speed.
    const fastify = await startProcess(
      [
        '-e',
        `const b=${JSON.stringify(BARE_BODY)};const a=require(${JSON.stringify(require.resolve('fastify'))})({logger:false});a.get('/',(q,r)=>{r.type('application/json; charset=utf-8');return b});a.listen({port:0,host:'127.0.0.1'}).then(()=>console.log('fastify at http://127.0.0.1:'+a.server.address().port))`,
      ],
      process.env,
      /fastify at (http:\/\/\S+)/,
    );
    children.push(fastify.child);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GANTRY_')) env[k] = v;
    Object.assign(env, {
      GANTRY_DATA_DIR: dataDir,
      GANTRY_PORT: '0',
      GANTRY_ADMIN_PASSWORD: PASSWORD,
      GANTRY_ADMIN_EMAIL: 'admin@bench.local',
    });
    const gantry = await startProcess(
      [join(root, 'bin', 'gantry.js'), 'serve'],
      env,
      /Gantry is running at (http:\/\/\S+)/,
    );
    children.push(gantry.child);
    const quiet = await startProcess(
      [join(root, 'bin', 'gantry.js'), 'serve'],
      { ...env, GANTRY_DATA_DIR: mkdtempSync(join(dataDir, 'warn-')), GANTRY_LOG_LEVEL: 'warn' },
      /Gantry is running at (http:\/\/\S+)/,
    );
    children.push(quiet.child);
    const base = gantry.url.replace(/\/$/, '');

    // Seed over HTTP, as a client would: log in, 60 teams, an API key.
    const session = await call(base, 'POST', '/user/login', undefined, {
      email: 'admin@bench.local',
      password: PASSWORD,
      organization_canonical: 'main',
    });
    const token: string = session.token;
    for (let i = 0; i < 60; i++) {
      await call(base, 'POST', '/organizations/main/teams', token, {
        name: `Team ${String(i).padStart(3, '0')}`,
        roles_canonical: ['organization-member'],
      });
    }
    const key = await call(base, 'POST', '/organizations/main/api_keys', token, {
      name: 'bench key',
      rules: [{ action: 'organization:**', effect: 'allow' }],
    });
    // A second baseline for the list: a bare server answering the very bytes of the 50-team page,
    // serializing the same object per request as any server must. A 150 KB body costs the bare server
    // most of its speed too, so this says what Gantry adds for that payload.
    const page = await fetch(`${base}/organizations/main/teams?page_size=50`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((res) => res.text());
    const pageFile = join(dataDir, 'bench-page.json');
    writeFileSync(pageFile, page);
    const samePage = await startProcess(
      [
        '-e',
        `const o=JSON.parse(require('node:fs').readFileSync(process.env.BENCH_PAGE,'utf8'));require('node:http').createServer((q,s)=>{const b=JSON.stringify(o);s.writeHead(200,{'content-type':'application/json; charset=utf-8','content-length':Buffer.byteLength(b)});s.end(b)}).listen(0,'127.0.0.1',function(){console.log('bare page at http://127.0.0.1:'+this.address().port)})`,
      ],
      { ...process.env, BENCH_PAGE: pageFile },
      /bare page at (http:\/\/\S+)/,
    );
    children.push(samePage.child);
    // The POST target creates tens of thousands of teams. With the default configuration an organization
    // holds at most 1,000, so the creations go round the main organization's children.
    const CHILDREN = 100;
    for (let i = 0; i < CHILDREN; i++) {
      await call(base, 'POST', '/organizations/main/children', token, {
        name: `Bench child ${i}`,
        canonical: `bench-${i}`,
      });
    }
    let created = 0;
    let posted = 0;
    const targets: Target[] = [
      { label: 'bare node:http GET /', server: 'bare', path: '/' },
      { label: 'bare node:http, the 50-team page body', server: 'bare-page', path: '/' },
      { label: 'Fastify alone GET / (same body)', server: 'fastify', path: '/' },
      { label: 'GET /version, log level warn', server: 'gantry-warn', path: '/version' },
      { label: 'GET /version', server: 'gantry', path: '/version' },
      { label: 'GET one team (session)', server: 'gantry', path: '/organizations/main/teams/team-007', token },
      {
        label: 'GET one team (API key)',
        server: 'gantry',
        path: '/organizations/main/teams/team-007',
        token: key.token,
      },
      { label: 'GET 50 teams (session)', server: 'gantry', path: '/organizations/main/teams?page_size=50', token },
      {
        label: 'POST a team (session)',
        server: 'gantry',
        path: '/organizations/bench-0/teams',
        pathOf: () => `/organizations/bench-${posted++ % CHILDREN}/teams`,
        method: 'POST',
        token,
        body: () => ({ name: `Bench ${process.pid} ${created++}`, roles_canonical: ['organization-member'] }),
      },
    ];
    const rps = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    const p99 = new Map<string, number[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of targets) {
        const server = { bare, 'bare-page': samePage, fastify, gantry, 'gantry-warn': quiet }[target.server];
        const before = cpuMs(server.child.pid!);
        const r = await load(server.url.replace(/\/$/, ''), target);
        const used = cpuMs(server.child.pid!) - before;
        if (r.errors > 0 || r.timeouts > 0 || r.non2xx > 0) {
          throw new Error(
            `${target.label}: ${r.errors} errors, ${r.timeouts} timeouts, ${JSON.stringify(r.statusCodeStats)}`,
          );
        }
        for (const [map, value] of [
          [rps, r.requests.average],
          [cpu, (used * 1000) / r.requests.total],
          [p99, r.latency.p99],
        ] as const) {
          map.set(target.label, [...(map.get(target.label) ?? []), value]);
        }
      }
    }
    const bareRps = median(rps.get(targets[0]!.label)!);
    out(
      `gantry serve (default configuration, SQLite) vs bare node:http, ${ROUNDS} interleaved rounds of ${DURATION} s, ${CONNECTIONS} connections`,
    );
    out('');
    out('| target | req/s (median) | × bare | server CPU µs/req | p99 ms |');
    out('|---|---|---|---|---|');
    for (const target of targets) {
      const value = median(rps.get(target.label)!);
      out(
        `| ${target.label} | ${Math.round(value)} | ${round1((value / bareRps) * 100)}% | ${round1(median(cpu.get(target.label)!))} | ${median(p99.get(target.label)!)} |`,
      );
    }
    const pageBare = median(rps.get('bare node:http, the 50-team page body')!);
    const pageGantry = median(rps.get('GET 50 teams (session)')!);
    out('');
    out(
      `GET 50 teams against the bare server answering the same ${Math.round(page.length / 1024)} KB body: ${round1((pageGantry / pageBare) * 100)}%`,
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
