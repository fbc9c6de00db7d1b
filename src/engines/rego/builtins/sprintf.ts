// `sprintf`: Go's fmt verbs as OPA exposes them (%v %s %d %f %e %g %x %X %o %b %t %q %c %%), with flags,
// width and precision.
import { display, RObject, RSet, type Value } from '../values.js';
import { BuiltinError } from './registry.js';

function goFloat(n: number): string {
  // Go's %v of a float64: the shortest representation, exponent form for large/small magnitudes.
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [m, e] = n.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

/** How `%v` and `%s` show a value: strings bare, numbers as Go prints them, the rest as Rego text. */
export function plain(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (v instanceof RObject || v instanceof RSet || Array.isArray(v)) return display(v);
  return String(v);
}

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zero) {
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    const body = sign ? s.slice(1) : s;
    return sign + '0'.repeat(width - s.length) + body;
  }
  return ' '.repeat(width - s.length) + s;
}

function exp(n: number, prec: number, upper: boolean): string {
  const [m, e] = n.toExponential(prec).split('e');
  const x = Number(e);
  const s = `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  return upper ? s.toUpperCase() : s;
}

function signed(n: number, plus: boolean, space: boolean, body: string): string {
  return (n < 0 ? '-' : plus ? '+' : space ? ' ' : '') + body;
}

export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    let left = false;
    let plus = false;
    let zero = false;
    let sharp = false;
    let space = false;
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') left = true;
      else if (f === '+') plus = true;
      else if (f === '0') zero = true;
      else if (f === '#') sharp = true;
      else if (f === ' ') space = true;
      else break;
    }
    let width = -1;
    let w = '';
    while (i < format.length && format[i] >= '0' && format[i] <= '9') w += format[i++];
    if (w) width = Number(w);
    let prec = -1;
    if (format[i] === '.') {
      i++;
      let p = '';
      while (i < format.length && format[i] >= '0' && format[i] <= '9') p += format[i++];
      prec = p ? Number(p) : 0;
    }
    if (width > 100_000 || prec > 100_000) throw new BuiltinError('sprintf: width or precision too large');
    const verb = format[i++];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) throw new BuiltinError(`sprintf: no argument specified for format verb ${argi + 1}`);
    const v = args[argi++];
    let s: string;
    switch (verb) {
      case 'v':
      case 's':
        s = plain(v);
        if (prec >= 0 && typeof v === 'string') s = [...s].slice(0, prec).join('');
        break;
      case 'd':
        if (typeof v === 'number' && Number.isInteger(v)) s = signed(v, plus, space, String(Math.abs(v)));
        else s = `%!d(${typeof v === 'number' ? `float64=${goFloat(v)}` : `${typeof v}=${plain(v)}`})`;
        break;
      case 'f':
      case 'F':
        if (typeof v !== 'number') s = `%!f(${plain(v)})`;
        else s = signed(v, plus, space, Math.abs(v).toFixed(prec < 0 ? 6 : prec));
        break;
      case 'e':
      case 'E':
        if (typeof v !== 'number') s = `%!e(${plain(v)})`;
        else s = signed(v, plus, space, exp(Math.abs(v), prec < 0 ? 6 : prec, verb === 'E'));
        break;
      case 'g':
      case 'G':
        if (typeof v !== 'number') s = `%!g(${plain(v)})`;
        else {
          s = prec < 0 ? goFloat(Math.abs(v)) : String(Number(Math.abs(v).toPrecision(prec || 1)));
          s = signed(v, plus, space, verb === 'G' ? s.toUpperCase() : s);
        }
        break;
      case 'x':
      case 'X':
      case 'o':
      case 'O':
      case 'b': {
        if (typeof v === 'string' && (verb === 'x' || verb === 'X')) {
          s = [...new TextEncoder().encode(v)].map((b) => b.toString(16).padStart(2, '0')).join('');
          if (verb === 'X') s = s.toUpperCase();
          break;
        }
        if (typeof v !== 'number' || !Number.isInteger(v)) {
          s = `%!${verb}(${plain(v)})`;
          break;
        }
        const base = verb === 'x' || verb === 'X' ? 16 : verb === 'b' ? 2 : 8;
        let body = Math.abs(v).toString(base);
        if (verb === 'X') body = body.toUpperCase();
        if (verb === 'O') body = `0o${body}`;
        else if (sharp) body = (base === 16 ? (verb === 'X' ? '0X' : '0x') : base === 8 ? '0' : '') + body;
        s = signed(v, plus, space, body);
        break;
      }
      case 't':
        s = typeof v === 'boolean' ? String(v) : `%!t(${plain(v)})`;
        break;
      case 'q':
        s = typeof v === 'string' ? JSON.stringify(v) : `%!q(${plain(v)})`;
        break;
      case 'c':
        s = typeof v === 'number' ? String.fromCodePoint(v) : `%!c(${plain(v)})`;
        break;
      default:
        s = `%!${verb}(${plain(v)})`;
    }
    out += width >= 0 ? pad(s, width, left, zero && !left && verb !== 's' && verb !== 'v') : s;
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map(plain).join(', ')})`;
  return out;
}
