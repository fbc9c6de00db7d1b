// The stack rendering tasks run by render workers (render-pool.ts): the pure functions of
// stack-render.ts, called with plain data and answering plain data.
import {
  currentValues,
  renderBlueprintFiles,
  renderComponentDestinations,
  renderConfigs,
  renderInterpolated,
} from './stack-render.js';

export const tasks = {
  'stack.configs': renderConfigs,
  'stack.interpolate': renderInterpolated,
  'stack.component-files': renderComponentDestinations,
  'stack.current-values': currentValues,
  'stack.blueprint': renderBlueprintFiles,
};
