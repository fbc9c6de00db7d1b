import { badInputSweep } from './bad-input-sweep.js';

// The authenticated bad-input sweep on SQLite, first half of the operations (see bad-input-sweep.ts;
// the other half and PostgreSQL have their own files, each well under the runner's per-file timeout).
badInputSweep('sqlite', { index: 0, count: 2 });
