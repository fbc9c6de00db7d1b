// The table of built-in functions and the argument checks they share.
import { RObject, RSet, typeName, type Value } from '../values.js';

/** A built-in's failure (wrong argument type, bad format...): an evaluation error at the call. */
export class BuiltinError extends Error {}

export interface BuiltinContext {
  /** Nanoseconds since the epoch, fixed for one evaluation (as OPA's `time.now_ns`). */
  nowNs: number;
  /** Values that must stay the same for the same arguments within one evaluation (rand.intn, uuid). */
  memo: Map<string, Value>;
  /** Counts work proportional to a result's size against the evaluation's step budget. */
  charge: (steps: number) => void;
}

export interface Builtin {
  /** Number of arguments; -1 for variadic. */
  arity: number;
  fn: (args: Value[], ctx: BuiltinContext) => Value | undefined;
  /** The function yields several results (returned as an array), each a solution. */
  multi?: boolean;
}

export const BUILTINS = new Map<string, Builtin>();

export function def(name: string, arity: number, fn: Builtin['fn'], multi = false): void {
  BUILTINS.set(name, { arity, fn, multi });
}

function bad(name: string, i: number, want: string, got: Value): never {
  throw new BuiltinError(`${name}: operand ${i + 1} must be ${want} but got ${typeName(got)}`);
}

export function num(name: string, args: Value[], i: number): number {
  const v = args[i];
  if (typeof v !== 'number') bad(name, i, 'number', v);
  return v as number;
}

export function int(name: string, args: Value[], i: number): number {
  const v = num(name, args, i);
  if (!Number.isInteger(v))
    throw new BuiltinError(`${name}: operand ${i + 1} must be integer number but got floating-point number`);
  return v;
}

export function str(name: string, args: Value[], i: number): string {
  const v = args[i];
  if (typeof v !== 'string') bad(name, i, 'string', v);
  return v as string;
}

export function arr(name: string, args: Value[], i: number): Value[] {
  const v = args[i];
  if (!Array.isArray(v)) bad(name, i, 'array', v);
  return v as Value[];
}

export function obj(name: string, args: Value[], i: number): RObject {
  const v = args[i];
  if (!(v instanceof RObject)) bad(name, i, 'object', v);
  return v as RObject;
}

export function set(name: string, args: Value[], i: number): RSet {
  const v = args[i];
  if (!(v instanceof RSet)) bad(name, i, 'set', v);
  return v as RSet;
}

/** The members of an array or a set (for functions that take either). */
export function collection(name: string, args: Value[], i: number, what = 'any of array or set'): Value[] {
  const v = args[i];
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.sorted();
  return bad(name, i, what, v);
}
