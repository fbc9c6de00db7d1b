import { badInputSweep } from './bad-input-sweep.js';

// The authenticated bad-input sweep on SQLite, second half of the operations (see bad-input-sweep.ts).
badInputSweep('sqlite', { index: 1, count: 2 });
