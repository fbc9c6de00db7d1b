export { MASK, maskSecrets } from './mask.js';
export {
  ProcessError,
  type ProcessLogger,
  type RunEnd,
  type RunOptions,
  type RunResult,
  runProcess,
  succeeded,
} from './run.js';
