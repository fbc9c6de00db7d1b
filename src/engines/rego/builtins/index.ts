// Every built-in, registered by importing its file.
import './operators.js';
import './aggregates.js';
import './collections.js';
import './encoding.js';
import './misc.js';
import './net.js';
import './numbers.js';
import './regex.js';
import './strings.js';
import './time.js';
import './types.js';
import './units.js';

export { BUILTINS, type Builtin, type BuiltinContext, BuiltinError } from './registry.js';

import { def } from './registry.js';

// `print` is evaluated by the evaluator itself (its arguments may be undefined); registered for arity checks.
def('print', -1, () => true);
