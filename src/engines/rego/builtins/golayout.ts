// Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"), as time.format and time.parse_ns take them.
import { BuiltinError } from './registry.js';

const TOKENS = [
  'January',
  'Monday',
  '.000000000',
  '.999999999',
  '.000000',
  '.999999',
  '.000',
  '.999',
  'Z07:00',
  '-07:00',
  'Z0700',
  '-0700',
  '2006',
  'Jan',
  'Mon',
  'MST',
  'Z07',
  '-07',
  '002',
  '_2',
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '15',
  'PM',
  'pm',
  '1',
  '2',
  '3',
  '4',
  '5',
];

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function tokenize(layout: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < layout.length) {
    const t = TOKENS.find((k) => layout.startsWith(k, i));
    if (t) {
      out.push(`\u0000${t}`);
      i += t.length;
    } else {
      out.push(layout[i]);
      i++;
    }
  }
  return out;
}

/** Wall-clock fields of an instant in a time zone (IANA name, "UTC", "" or "Local"). */
export function wallClock(ms: number, zone: string): { parts: Date; offsetMin: number; abbr: string } {
  if (zone === '' || zone === 'UTC') return { parts: new Date(ms), offsetMin: 0, abbr: 'UTC' };
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone === 'Local' ? undefined : zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      timeZoneName: 'short',
    });
  } catch {
    throw new BuiltinError(`unknown time zone ${zone}`);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const local = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  const offsetMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60000);
  return { parts: new Date(ms + offsetMin * 60000), offsetMin, abbr: p.timeZoneName ?? zone };
}

const pad = (n: number, w: number) => String(Math.abs(n)).padStart(w, '0');

function offset(min: number, colon: boolean, z: boolean, short = false): string {
  if (z && min === 0) return 'Z';
  const sign = min < 0 ? '-' : '+';
  const h = pad(Math.floor(Math.abs(min) / 60), 2);
  const m = pad(Math.abs(min) % 60, 2);
  return short ? `${sign}${h}` : `${sign}${h}${colon ? ':' : ''}${m}`;
}

/** Formats nanoseconds since the epoch with a Go layout in a time zone. */
export function formatGo(ns: number, zone: string, layout: string): string {
  // Exact integer arithmetic on the double's value: ns beyond 2^53 lose digits in floating point.
  const big = BigInt(Math.trunc(ns));
  let sec = big / 1_000_000_000n;
  let rem = big % 1_000_000_000n;
  if (rem < 0n) {
    rem += 1_000_000_000n;
    sec -= 1n;
  }
  const ms = Number(sec) * 1000;
  const frac = Number(rem);
  const { parts: d, offsetMin, abbr } = wallClock(ms, zone);
  let out = '';
  for (const t of tokenize(layout)) {
    if (t[0] !== '\u0000') {
      out += t;
      continue;
    }
    const k = t.slice(1);
    const h = d.getUTCHours();
    switch (k) {
      case '2006':
        out += pad(d.getUTCFullYear(), 4);
        break;
      case '06':
        out += pad(d.getUTCFullYear() % 100, 2);
        break;
      case 'January':
        out += MONTHS[d.getUTCMonth()];
        break;
      case 'Jan':
        out += MONTHS[d.getUTCMonth()].slice(0, 3);
        break;
      case '01':
        out += pad(d.getUTCMonth() + 1, 2);
        break;
      case '1':
        out += String(d.getUTCMonth() + 1);
        break;
      case 'Monday':
        out += DAYS[d.getUTCDay()];
        break;
      case 'Mon':
        out += DAYS[d.getUTCDay()].slice(0, 3);
        break;
      case '02':
        out += pad(d.getUTCDate(), 2);
        break;
      case '_2':
        out += String(d.getUTCDate()).padStart(2, ' ');
        break;
      case '2':
        out += String(d.getUTCDate());
        break;
      case '002': {
        const start = Date.UTC(d.getUTCFullYear(), 0, 1);
        out += pad(Math.floor((d.getTime() - start) / 86400000) + 1, 3);
        break;
      }
      case '15':
        out += pad(h, 2);
        break;
      case '03':
        out += pad(h % 12 === 0 ? 12 : h % 12, 2);
        break;
      case '3':
        out += String(h % 12 === 0 ? 12 : h % 12);
        break;
      case '04':
        out += pad(d.getUTCMinutes(), 2);
        break;
      case '4':
        out += String(d.getUTCMinutes());
        break;
      case '05':
        out += pad(d.getUTCSeconds(), 2);
        break;
      case '5':
        out += String(d.getUTCSeconds());
        break;
      case 'PM':
        out += h >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += h >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += abbr;
        break;
      case 'Z07:00':
        out += offset(offsetMin, true, true);
        break;
      case '-07:00':
        out += offset(offsetMin, true, false);
        break;
      case 'Z0700':
        out += offset(offsetMin, false, true);
        break;
      case '-0700':
        out += offset(offsetMin, false, false);
        break;
      case 'Z07':
        out += offset(offsetMin, false, true, true);
        break;
      case '-07':
        out += offset(offsetMin, false, false, true);
        break;
      default: {
        // .000 (fixed digits) or .999 (trailing zeros removed, nothing when zero)
        const digits = k.length - 1;
        const f = pad(frac, 9).slice(0, digits);
        if (k[1] === '0') out += `.${f}`;
        else {
          const trimmed = f.replace(/0+$/, '');
          if (trimmed) out += `.${trimmed}`;
        }
      }
    }
  }
  return out;
}

/** Parses a value with a Go layout; nanoseconds since the epoch. */
export function parseGo(layout: string, value: string): number {
  let i = 0;
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nanos = 0;
  let pm: boolean | null = null;
  let offsetMin = 0;
  const fail = (): never => {
    throw new BuiltinError(`time.parse_ns: cannot parse ${JSON.stringify(value)} as ${JSON.stringify(layout)}`);
  };
  const num = (min: number, max: number): number => {
    let j = i;
    while (j < value.length && j - i < max && value[j] >= '0' && value[j] <= '9') j++;
    if (j - i < min) fail();
    const n = Number(value.slice(i, j));
    i = j;
    return n;
  };
  const word = (list: string[], short: boolean): number => {
    const idx = list.findIndex((w) => value.startsWith(short ? w.slice(0, 3) : w, i));
    if (idx < 0) fail();
    i += short ? 3 : list[idx].length;
    return idx;
  };
  const zone = (colon: boolean, z: boolean, short: boolean) => {
    if (z && value[i] === 'Z') {
      i++;
      offsetMin = 0;
      return;
    }
    const sign = value[i] === '-' ? -1 : value[i] === '+' ? 1 : fail();
    i++;
    const h = num(2, 2);
    let m = 0;
    if (!short) {
      if (colon) {
        if (value[i] !== ':') fail();
        i++;
      }
      m = num(2, 2);
    }
    offsetMin = sign * (h * 60 + m);
  };
  for (const t of tokenize(layout)) {
    if (t[0] !== '\u0000') {
      if (value[i] !== t) fail();
      i++;
      continue;
    }
    const k = t.slice(1);
    switch (k) {
      case '2006':
        year = num(4, 4);
        break;
      case '06':
        year = 2000 + num(2, 2);
        if (year >= 2069) year -= 100;
        break;
      case 'January':
        month = word(MONTHS, false) + 1;
        break;
      case 'Jan':
        month = word(MONTHS, true) + 1;
        break;
      case '01':
        month = num(2, 2);
        break;
      case '1':
        month = num(1, 2);
        break;
      case 'Monday':
        word(DAYS, false);
        break;
      case 'Mon':
        word(DAYS, true);
        break;
      case '02':
        day = num(2, 2);
        break;
      case '_2':
        if (value[i] === ' ') i++;
        day = num(1, 2);
        break;
      case '2':
        day = num(1, 2);
        break;
      case '002':
        num(3, 3);
        break;
      case '15':
        hour = num(1, 2);
        break;
      case '03':
      case '3':
        hour = num(1, 2);
        break;
      case '04':
      case '4':
        min = num(1, 2);
        break;
      case '05':
      case '5':
        sec = num(1, 2);
        break;
      case 'PM':
      case 'pm': {
        const s = value.slice(i, i + 2).toUpperCase();
        if (s !== 'AM' && s !== 'PM') fail();
        pm = s === 'PM';
        i += 2;
        break;
      }
      case 'MST':
        while (i < value.length && /[A-Z]/.test(value[i])) i++;
        break;
      case 'Z07:00':
        zone(true, true, false);
        break;
      case '-07:00':
        zone(true, false, false);
        break;
      case 'Z0700':
        zone(false, true, false);
        break;
      case '-0700':
        zone(false, false, false);
        break;
      case 'Z07':
        zone(false, true, true);
        break;
      case '-07':
        zone(false, false, true);
        break;
      default: {
        // Fractional seconds: optional for .999, required for .000.
        if (value[i] === '.' || value[i] === ',') {
          i++;
          const start = i;
          while (i < value.length && value[i] >= '0' && value[i] <= '9') i++;
          nanos = Number(value.slice(start, i).padEnd(9, '0').slice(0, 9));
        } else if (k[1] === '0') fail();
      }
    }
  }
  // Go accepts fractional seconds after a seconds field even when the layout has none.
  if (i < value.length && (value[i] === '.' || value[i] === ',') && /\d/.test(value[i + 1] ?? '')) {
    i++;
    const start = i;
    while (i < value.length && value[i] >= '0' && value[i] <= '9') i++;
    nanos = Number(value.slice(start, i).padEnd(9, '0').slice(0, 9));
  }
  if (i !== value.length) fail();
  if (pm !== null) hour = (hour % 12) + (pm ? 12 : 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) fail();
  const d = new Date(Date.UTC(2000, month - 1, day, hour, min, sec));
  d.setUTCFullYear(year);
  return Number(BigInt(d.getTime() - offsetMin * 60000) * 1_000_000n + BigInt(nanos));
}
