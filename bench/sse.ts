/**
 * One event stream of 10,000 lines (a build log, say) sent by a real server process to a client in
 * this process, through the streaming path of the registrar (`respond: 'stream'`: heartbeats,
 * back-pressure, disconnect handling). A bare node:http stream of the same bytes, written with the same
 * back-pressure, runs in the same server process as the baseline.
 *
 *   npm run bench:sse
 *
 * Reports lines/second as the client receives them and the server process's CPU time per 1,000 lines
 * (process.cpuUsage of the server, user + system). Environment: BENCH_LINES (default 10000),
 * BENCH_ROUNDS (default 5).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { untypedOperations } from '../src/platform/http/operation.js';
import { envNumber, median, out, round1, startBenchStack } from './common.js';

const LINES = envNumber('BENCH_LINES', 10_000, 1);
const ROUNDS = envNumber('BENCH_ROUNDS', 5, 1);
const TEXT = 'Step 3/12 : RUN npm ci --omit=dev && npm run build -- --mode production';

/** The server side, run as its own process (`--serve`). */
async function serve(): Promise<void> {
  const { loadContract, withExtensions } = await import('../src/platform/http/contract.js');
  const { formatEvent } = await import('../src/platform/http/stream.js');
  const contract = withExtensions(loadContract(), {
    paths: {
      '/bench/events': {
        get: {
          tags: ['Gantry extensions'],
          operationId: 'benchEvents',
          security: [],
          responses: {
            '200': { description: 'events', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          },
        },
      },
    },
  });
  async function* lines() {
    for (let i = 0; i < LINES; i++) yield { id: String(i), data: { line: i, text: TEXT } };
  }
  const stack = await startBenchStack('sse', 'warn', {
    contract,
    extraModules: () => [
      { name: 'bench', operations: untypedOperations({ benchEvents: { respond: 'stream', handler: () => lines() } }) },
    ],
  });
  const bare = createServer(async (req, res) => {
    if (req.url === '/cpu') {
      res.end(JSON.stringify(process.cpuUsage()));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'close' });
    for await (const event of lines()) {
      if (!res.write(formatEvent(event))) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`ready ${stack.base} http://127.0.0.1:${(bare.address() as AddressInfo).port}\n`);
  process.once('SIGTERM', async () => {
    bare.close();
    await stack.close();
    process.exit(0);
  });
}

function startServer(): Promise<{ child: ChildProcess; gantry: string; bare: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /ready (\S+) (\S+)/.exec(seen);
      if (match) resolve({ child, gantry: match[1] as string, bare: match[2] as string });
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

/** Server CPU (user + system) in ms so far, asked through the bare server of the same process. */
async function serverCpuMs(bare: string): Promise<number> {
  const usage = (await (await fetch(`${bare}/cpu`)).json()) as { user: number; system: number };
  return (usage.user + usage.system) / 1000;
}

/** Reads one whole stream; checks that every line arrived, in order. */
async function readStream(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status}`);
  const decoder = new TextDecoder();
  let buffered = '';
  let next = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const data = /^data: (.*)$/m.exec(buffered.slice(0, end));
      if (data) {
        const line = JSON.parse(data[1] as string).line;
        if (line !== next) throw new Error(`line ${line} arrived where ${next} was expected`);
        next++;
      }
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
    }
  }
  if (next !== LINES) throw new Error(`${next} of ${LINES} lines arrived`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const server = await startServer();
  try {
    const targets = [
      { label: 'bare node:http', url: `${server.bare}/` },
      { label: 'gantry (respond: stream)', url: `${server.gantry}/bench/events` },
    ];
    const results = new Map(targets.map((t) => [t.label, { rates: [] as number[], cpu: [] as number[] }]));
    await readStream(targets[1]!.url); // warm-up: first use compiles the operation
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) {
        const cpuBefore = await serverCpuMs(server.bare);
        const ms = await readStream(target.url);
        const cpu = (await serverCpuMs(server.bare)) - cpuBefore;
        const result = results.get(target.label)!;
        result.rates.push((LINES / ms) * 1000);
        result.cpu.push((cpu / LINES) * 1000);
      }
    }
    out(`SSE: one stream of ${LINES} lines, median of ${ROUNDS} rounds (Node ${process.version})`);
    out('target                     lines/s     server CPU ms per 1,000 lines');
    for (const [label, r] of results) {
      out(`${label.padEnd(26)} ${String(Math.round(median(r.rates))).padStart(8)}     ${round1(median(r.cpu))}`);
    }
  } finally {
    server.child.kill('SIGTERM');
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
