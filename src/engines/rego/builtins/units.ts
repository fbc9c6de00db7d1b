// units.parse and units.parse_bytes: "10Ki", "1.5G", "200m" as numbers.
import { BuiltinError, def, str } from './registry.js';

const BYTES: Record<string, number> = {
  '': 1,
  k: 1e3,
  kb: 1e3,
  ki: 2 ** 10,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mi: 2 ** 20,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gi: 2 ** 30,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  ti: 2 ** 40,
  tib: 2 ** 40,
  p: 1e15,
  pb: 1e15,
  pi: 2 ** 50,
  pib: 2 ** 50,
  e: 1e18,
  eb: 1e18,
  ei: 2 ** 60,
  eib: 2 ** 60,
  z: 1e21,
  zb: 1e21,
  zi: 2 ** 70,
  zib: 2 ** 70,
  y: 1e24,
  yb: 1e24,
  r: 1e27,
  rb: 1e27,
  q: 1e30,
  qb: 1e30,
  yi: 2 ** 80,
  yib: 2 ** 80,
};

const SI: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Z: 1e21,
  Y: 1e24,
  e: 1e18,
  p: 1e15,
  t: 1e12,
  g: 1e9,
  ki: 2 ** 10,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  Zi: 2 ** 70,
  Yi: 2 ** 80,
};

function split(name: string, raw: string): [number, string] {
  let s = raw;
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  if (s.includes(' ')) throw new BuiltinError(`${name}: spaces not allowed in resource strings`);
  const m = /^([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.)(.*)$/.exec(s);
  if (!m) throw new BuiltinError(`${name}: no amount provided`);
  return [Number(m[1]), m[2]];
}

def('units.parse_bytes', 1, (args) => {
  const [n, unit] = split('units.parse_bytes', str('units.parse_bytes', args, 0));
  const f = BYTES[unit.toLowerCase()];
  if (f === undefined) throw new BuiltinError(`units.parse_bytes: unit ${unit} not recognized`);
  return Math.trunc(n * f);
});

def('units.parse', 1, (args) => {
  const [n, unit] = split('units.parse', str('units.parse', args, 0));
  const f = SI[unit] ?? SI[unit.length === 2 ? unit[0].toUpperCase() + unit[1] : unit];
  if (f === undefined) throw new BuiltinError(`units.parse: unit ${unit} not recognized`);
  const v = n * f;
  return Number.isInteger(v) ? v : Number(v.toPrecision(15));
});
