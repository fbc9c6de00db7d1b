// String built-ins.
import type { Value } from '../values.js';
import { arr, BuiltinError, collection, def, int, obj, str } from './registry.js';
import { sprintf } from './sprintf.js';

const runes = (s: string) => [...s];

def('sprintf', 2, (args) => sprintf(str('sprintf', args, 0), arr('sprintf', args, 1)));
def('concat', 2, (args) => {
  const sep = str('concat', args, 0);
  const items = collection('concat', args, 1);
  return items
    .map((v) => {
      if (typeof v !== 'string') throw new BuiltinError('concat: operand 2 must be array of strings or set of strings');
      return v;
    })
    .join(sep);
});
def('startswith', 2, (args) => str('startswith', args, 0).startsWith(str('startswith', args, 1)));
def('endswith', 2, (args) => str('endswith', args, 0).endsWith(str('endswith', args, 1)));
def('contains', 2, (args) => str('contains', args, 0).includes(str('contains', args, 1)));
def('lower', 1, (args) => str('lower', args, 0).toLowerCase());
def('upper', 1, (args) => str('upper', args, 0).toUpperCase());
def('split', 2, (args) => {
  const s = str('split', args, 0);
  const sep = str('split', args, 1);
  if (sep === '') return runes(s);
  return s.split(sep);
});
def('replace', 3, (args) =>
  str('replace', args, 0)
    .split(str('replace', args, 1))
    .join(str('replace', args, 2)),
);
def('strings.replace_n', 2, (args) => {
  const patterns = obj('strings.replace_n', args, 0);
  let s = str('strings.replace_n', args, 1);
  const pairs: [string, string][] = [];
  for (const [k, v] of patterns.sortedEntries()) {
    if (typeof k !== 'string' || typeof v !== 'string')
      throw new BuiltinError('strings.replace_n: operand 1 must be object[string: string]');
    pairs.push([k, v]);
  }
  // Go's strings.NewReplacer: at each position, the first pattern (in argument order) that matches.
  let out = '';
  let i = 0;
  outer: while (i < s.length) {
    for (const [k, v] of pairs) {
      if (k !== '' && s.startsWith(k, i)) {
        out += v;
        i += k.length;
        continue outer;
      }
    }
    out += s[i++];
  }
  s = out;
  return s;
});

function cutset(name: string, args: Value[]): Set<string> {
  return new Set(runes(str(name, args, 1)));
}
function trimLeft(s: string, cs: Set<string>): string {
  const r = runes(s);
  let i = 0;
  while (i < r.length && cs.has(r[i])) i++;
  return r.slice(i).join('');
}
function trimRight(s: string, cs: Set<string>): string {
  const r = runes(s);
  let j = r.length;
  while (j > 0 && cs.has(r[j - 1])) j--;
  return r.slice(0, j).join('');
}
def('trim', 2, (args) => trimRight(trimLeft(str('trim', args, 0), cutset('trim', args)), cutset('trim', args)));
def('trim_left', 2, (args) => trimLeft(str('trim_left', args, 0), cutset('trim_left', args)));
def('trim_right', 2, (args) => trimRight(str('trim_right', args, 0), cutset('trim_right', args)));
def('trim_prefix', 2, (args) => {
  const s = str('trim_prefix', args, 0);
  const p = str('trim_prefix', args, 1);
  return s.startsWith(p) ? s.slice(p.length) : s;
});
def('trim_suffix', 2, (args) => {
  const s = str('trim_suffix', args, 0);
  const p = str('trim_suffix', args, 1);
  return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
});
def('trim_space', 1, (args) => str('trim_space', args, 0).trim());

def('format_int', 2, (args) => {
  if (typeof args[0] !== 'number')
    throw new BuiltinError(
      `format_int: operand 1 must be number but got ${args[0] === null ? 'null' : typeof args[0]}`,
    );
  const n = Math.trunc(args[0]);
  const base = int('format_int', args, 1);
  if (![2, 8, 10, 16].includes(base)) throw new BuiltinError('format_int: operand 2 must be one of {2, 8, 10, 16}');
  return (n < 0 ? '-' : '') + Math.abs(n).toString(base);
});

def('indexof', 2, (args) => {
  const s = runes(str('indexof', args, 0));
  const sub = runes(str('indexof', args, 1));
  if (sub.length === 0) return -1;
  for (let i = 0; i + sub.length <= s.length; i++) {
    let ok = true;
    for (let j = 0; j < sub.length; j++) {
      if (s[i + j] !== sub[j]) {
        ok = false;
        break;
      }
    }
    if (ok) return i;
  }
  return -1;
});
def('indexof_n', 2, (args) => {
  const s = runes(str('indexof_n', args, 0));
  const sub = runes(str('indexof_n', args, 1));
  const out: Value[] = [];
  if (sub.length === 0) return out;
  for (let i = 0; i + sub.length <= s.length; i++) {
    if (sub.every((c, j) => s[i + j] === c)) out.push(i);
  }
  return out;
});
def('substring', 3, (args) => {
  const s = runes(str('substring', args, 0));
  const start = int('substring', args, 1);
  const len = int('substring', args, 2);
  if (start < 0) throw new BuiltinError('substring: negative offset');
  if (start >= s.length) return '';
  return (len < 0 ? s.slice(start) : s.slice(start, start + len)).join('');
});
def('strings.reverse', 1, (args) =>
  runes(str('strings.reverse', args, 0))
    .reverse()
    .join(''),
);
def('strings.count', 2, (args) => {
  const s = str('strings.count', args, 0);
  const sub = str('strings.count', args, 1);
  if (sub === '') return runes(s).length + 1;
  return s.split(sub).length - 1;
});
def('strings.any_prefix_match', 2, (args) => {
  const ss = typeof args[0] === 'string' ? [args[0]] : collection('strings.any_prefix_match', args, 0);
  const ps = typeof args[1] === 'string' ? [args[1]] : collection('strings.any_prefix_match', args, 1);
  return ss.some((s) => ps.some((p) => typeof s === 'string' && typeof p === 'string' && s.startsWith(p)));
});
def('strings.any_suffix_match', 2, (args) => {
  const ss = typeof args[0] === 'string' ? [args[0]] : collection('strings.any_suffix_match', args, 0);
  const ps = typeof args[1] === 'string' ? [args[1]] : collection('strings.any_suffix_match', args, 1);
  return ss.some((s) => ps.some((p) => typeof s === 'string' && typeof p === 'string' && s.endsWith(p)));
});
def('to_number', 1, ([v]) => {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t))
      throw new BuiltinError(`to_number: invalid syntax`);
    return Number(t);
  }
  throw new BuiltinError('to_number: operand 1 must be one of {boolean, null, number, string}');
});
def('strings.render_template', 2, (args) => {
  const tpl = str('strings.render_template', args, 0);
  const vars = obj('strings.render_template', args, 1);
  return tpl.replace(/\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const v = vars.get(name);
    return v === undefined ? '<no value>' : typeof v === 'string' ? v : JSON.stringify(v);
  });
});
