import { jobKind } from '../../src/platform/jobs/kinds.js';

/** Job kinds of the worker-process probe (test/helpers/worker-process.ts). */
export const probeRecord = jobKind<{ hangFirst?: boolean }>('probe.record', { maxAttempts: 3, timeoutMs: 600_000 });
export const probeTick = jobKind<null>('probe.tick', { maxAttempts: 1 });
