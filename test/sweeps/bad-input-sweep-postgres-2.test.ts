import { testEngines } from '../helpers/server.js';
import { badInputSweep } from './bad-input-sweep.js';

// The authenticated bad-input sweep on PostgreSQL, second half of the operations (see bad-input-sweep.ts).
if (testEngines().includes('postgres')) badInputSweep('postgres', { index: 1, count: 2 });
