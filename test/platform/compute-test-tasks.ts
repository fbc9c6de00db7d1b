// Tasks for the compute pool's tests: one that answers, one that never returns, one that allocates
// without end, one that throws.
export const tasks = {
  echo: (payload: unknown) => payload,
  spin: () => {
    for (;;) {
      // never returns: only terminating the worker stops it
    }
  },
  hog: () => {
    const kept: number[][] = [];
    for (;;) kept.push(new Array(1_000_000).fill(kept.length));
  },
  fail: () => {
    const e = new Error('task failed on purpose') as Error & { code: string };
    e.code = 'E_PURPOSE';
    throw e;
  },
};
