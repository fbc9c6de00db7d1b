// `gantry worker` with probe job kinds, as a process of its own: node --import tsx worker-process.ts.
// Each run is appended to $GANTRY_TEST_RUN_LOG as "<what> <job id> <worker name>".
import { appendFileSync } from 'node:fs';
import { runWorker } from '../../src/commands/worker.js';
import { handleJob } from '../../src/platform/jobs/kinds.js';
import { probeRecord, probeTick } from './probe-kinds.js';

const log = process.env.GANTRY_TEST_RUN_LOG!;
const name = process.env.GANTRY_WORKER_NAME ?? 'unnamed';
const record = (what: string, id: number) => appendFileSync(log, `${what} ${id} ${name}\n`);

const code = await runWorker(
  [],
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
  () => [
    {
      name: 'probe',
      operations: {},
      jobs: [
        handleJob(probeRecord, async (payload, ctx) => {
          if (payload.hangFirst && ctx.job.attempt === 1) {
            record('hang', ctx.job.id);
            await new Promise(() => {});
          }
          record('run', ctx.job.id);
        }),
        handleJob(probeTick, async (_payload, ctx) => record('tick', ctx.job.id)),
      ],
      schedules: [{ kind: probeTick, every: process.env.GANTRY_TEST_TICK ?? '300ms' }],
    },
  ],
);
if (code >= 0) process.exit(code);
