// Type tests.
import { RObject, RSet, typeName } from '../values.js';
import { def } from './registry.js';

def('is_number', 1, ([v]) => typeof v === 'number');
def('is_string', 1, ([v]) => typeof v === 'string');
def('is_boolean', 1, ([v]) => typeof v === 'boolean');
def('is_array', 1, ([v]) => Array.isArray(v));
def('is_set', 1, ([v]) => v instanceof RSet);
def('is_object', 1, ([v]) => v instanceof RObject);
def('is_null', 1, ([v]) => v === null);
def('type_name', 1, ([v]) => typeName(v));
