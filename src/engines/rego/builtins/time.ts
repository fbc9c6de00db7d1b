// Time: nanoseconds since the epoch as numbers (precise to the microsecond beyond 2^53 ns).
import type { Value } from '../values.js';
import { formatGo, parseGo, wallClock } from './golayout.js';
import { BuiltinError, def, int, num, str } from './registry.js';

def('time.now_ns', 0, (_args, ctx) => ctx.nowNs);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseRFC3339(name: string, s: string): number {
  const m = RFC3339.exec(s);
  if (!m) throw new BuiltinError(`${name}: parsing time ${JSON.stringify(s)} as RFC3339 failed`);
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  if (Number(y) < 100) {
    const dt = new Date(ms);
    dt.setUTCFullYear(Number(y));
    ms = dt.getTime();
  }
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const nanos = frac ? Number(frac.slice(1).padEnd(9, '0').slice(0, 9)) : 0;
  return ms * 1e6 + nanos;
}
def('time.parse_rfc3339_ns', 1, (args) => parseRFC3339('time.parse_rfc3339_ns', str('time.parse_rfc3339_ns', args, 0)));

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
def('time.parse_duration_ns', 1, (args) => {
  const s = str('time.parse_duration_ns', args, 0);
  const m = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (s === '0') return 0;
  if (!m) throw new BuiltinError(`time.parse_duration_ns: invalid duration ${JSON.stringify(s)}`);
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * DURATION_UNITS[part[2]];
  return Math.round(s.startsWith('-') ? -total : total);
});

/** ns, or [ns, timezone]: the wall clock in that zone (UTC by default). */
function instant(name: string, args: Value[]): Date {
  const v = args[0];
  let ns: number;
  let zone = 'UTC';
  if (Array.isArray(v)) {
    if (typeof v[0] !== 'number') throw new BuiltinError(`${name}: operand 1 must be number or array[number, string]`);
    ns = v[0];
    if (v[1] !== undefined) {
      if (typeof v[1] !== 'string') throw new BuiltinError(`${name}: time zone must be a string`);
      zone = v[1];
    }
  } else ns = num(name, args, 0);
  try {
    return wallClock(Math.floor(ns / 1e6), zone).parts;
  } catch (e) {
    throw new BuiltinError(`${name}: ${(e as Error).message}`);
  }
}
def('time.date', 1, (args) => {
  const d = instant('time.date', args);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
});
def('time.clock', 1, (args) => {
  const d = instant('time.clock', args);
  return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
});
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
def('time.weekday', 1, (args) => WEEKDAYS[instant('time.weekday', args).getUTCDay()]);
def('time.add_date', 4, (args) => {
  const ns = num('time.add_date', args, 0);
  const y = int('time.add_date', args, 1);
  const mo = int('time.add_date', args, 2);
  const d = int('time.add_date', args, 3);
  const big = BigInt(Math.trunc(ns));
  let msBig = big / 1_000_000n;
  if (big < 0n && msBig * 1_000_000n !== big) msBig -= 1n;
  const rest = big - msBig * 1_000_000n;
  const ms = Number(msBig);
  const dt = new Date(ms);
  // Go's AddDate normalizes overflow (Oct 31 + 1 month = Dec 1), as Date.UTC does.
  const out = Date.UTC(
    dt.getUTCFullYear() + y,
    dt.getUTCMonth() + mo,
    dt.getUTCDate() + d,
    dt.getUTCHours(),
    dt.getUTCMinutes(),
    dt.getUTCSeconds(),
    dt.getUTCMilliseconds(),
  );
  // Go's time in nanoseconds is an int64 (about the years 1678 to 2262): beyond it, undefined.
  if (!Number.isFinite(out)) return undefined;
  const ns2 = Number(BigInt(out) * 1_000_000n + rest);
  if (Math.abs(ns2) > 9.223372036854775e18) return undefined;
  return ns2;
});
def('time.diff', 2, (args) => {
  let a = instant('time.diff', [args[0]]);
  let b = instant('time.diff', [args[1]]);
  if (a > b) [a, b] = [b, a];
  let y = b.getUTCFullYear() - a.getUTCFullYear();
  let mo = b.getUTCMonth() - a.getUTCMonth();
  let d = b.getUTCDate() - a.getUTCDate();
  let h = b.getUTCHours() - a.getUTCHours();
  let mi = b.getUTCMinutes() - a.getUTCMinutes();
  let s = b.getUTCSeconds() - a.getUTCSeconds();
  if (s < 0) {
    s += 60;
    mi--;
  }
  if (mi < 0) {
    mi += 60;
    h--;
  }
  if (h < 0) {
    h += 24;
    d--;
  }
  if (d < 0) {
    d += new Date(Date.UTC(a.getUTCFullYear(), a.getUTCMonth() + 1, 0)).getUTCDate();
    mo--;
  }
  if (mo < 0) {
    mo += 12;
    y--;
  }
  return [y, mo, d, h, mi, s];
});
def('time.format', 1, (args) => {
  const v = args[0];
  let ns: number;
  let zone = 'UTC';
  let layout = '2006-01-02T15:04:05.999999999Z07:00';
  if (Array.isArray(v)) {
    if (typeof v[0] !== 'number') throw new BuiltinError('time.format: operand 1 must be number or array');
    ns = v[0];
    if (v[1] !== undefined) {
      if (typeof v[1] !== 'string') throw new BuiltinError('time.format: time zone must be a string');
      zone = v[1];
    }
    if (v[2] !== undefined) {
      if (typeof v[2] !== 'string') throw new BuiltinError('time.format: layout must be a string');
      layout = LAYOUTS[v[2]] ?? v[2];
    }
  } else ns = num('time.format', args, 0);
  return formatGo(ns, zone, layout);
});

/** Go's named layouts, which time.format and time.parse_ns accept by name. */
const LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

def('time.parse_ns', 2, (args) => {
  const layout = str('time.parse_ns', args, 0);
  return parseGo(LAYOUTS[layout] ?? layout, str('time.parse_ns', args, 1));
});
