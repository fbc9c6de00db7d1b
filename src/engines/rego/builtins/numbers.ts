// Numbers and bitwise operations.
import type { Value } from '../values.js';
import { type BuiltinContext, BuiltinError, def, int, num } from './registry.js';

def('abs', 1, (args) => Math.abs(num('abs', args, 0)));
def('ceil', 1, (args) => Math.ceil(num('ceil', args, 0)));
def('floor', 1, (args) => Math.floor(num('floor', args, 0)));
def('round', 1, (args) => {
  const n = num('round', args, 0);
  return n < 0 ? -Math.round(-n) : Math.round(n);
});
function range(name: string, args: Value[], step: number, ctx: BuiltinContext): Value[] {
  const a = int(name, args, 0);
  const b = int(name, args, 1);
  if (step <= 0) throw new BuiltinError(`${name}: step must be a positive number above zero`);
  if (Math.abs(b - a) / step > 10_000_000) throw new BuiltinError(`${name}: range too large`);
  ctx.charge(Math.floor(Math.abs(b - a) / step) + 1);
  const out: Value[] = [];
  if (a <= b) for (let i = a; i <= b; i += step) out.push(i);
  else for (let i = a; i >= b; i -= step) out.push(i);
  return out;
}
def('numbers.range', 2, (args, ctx) => range('numbers.range', args, 1, ctx));
def('numbers.range_step', 3, (args, ctx) => range('numbers.range_step', args, int('numbers.range_step', args, 2), ctx));

const big = (name: string, args: Value[], i: number) => BigInt(int(name, args, i));
const back = (b: bigint) => Number(b);
def('bits.and', 2, (args) => back(big('bits.and', args, 0) & big('bits.and', args, 1)));
def('bits.or', 2, (args) => back(big('bits.or', args, 0) | big('bits.or', args, 1)));
def('bits.xor', 2, (args) => back(big('bits.xor', args, 0) ^ big('bits.xor', args, 1)));
def('bits.negate', 1, (args) => back(~big('bits.negate', args, 0)));
def('bits.lsh', 2, (args) => {
  const n = int('bits.lsh', args, 1);
  if (n < 0)
    throw new BuiltinError('bits.lsh: operand 2 must be an unsigned integer number but got a negative integer');
  return back(big('bits.lsh', args, 0) << BigInt(n));
});
def('bits.rsh', 2, (args) => {
  const n = int('bits.rsh', args, 1);
  if (n < 0)
    throw new BuiltinError('bits.rsh: operand 2 must be an unsigned integer number but got a negative integer');
  return back(big('bits.rsh', args, 0) >> BigInt(n));
});
