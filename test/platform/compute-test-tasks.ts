// Tasks for the compute pool's tests: one that answers, one that never returns, one that throws.
export const tasks = {
  echo: (payload: unknown) => payload,
  spin: () => {
    for (;;) {
      // never returns: only terminating the worker stops it
    }
  },
  fail: () => {
    const e = new Error('task failed on purpose') as Error & { code: string };
    e.code = 'E_PURPOSE';
    throw e;
  },
};
