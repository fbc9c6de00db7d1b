import { badInputSweep } from './bad-input-sweep.js';

// The authenticated bad-input sweep on SQLite (see bad-input-sweep.ts; PostgreSQL has its own file).
badInputSweep('sqlite');
