// Regular expressions and globs, run by RE2 (re2js): linear time whatever the pattern or the input.
import { RE2JS } from 're2js';

import { arr, BuiltinError, def, int, str } from './registry.js';

const CACHE_SIZE = 200;
const cache = new Map<string, RE2JS>();

/** A compiled pattern, from a small bounded cache (policies reuse a handful of patterns). */
export function regex(pattern: string, name = 'regex'): RE2JS {
  let re = cache.get(pattern);
  if (re) return re;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    throw new BuiltinError(`${name}: ${(e as Error).message}`);
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, re);
  return re;
}

def('regex.match', 2, (args) => regex(str('regex.match', args, 0), 'regex.match').test(str('regex.match', args, 1)));
def('re_match', 2, (args) => regex(str('re_match', args, 0), 're_match').test(str('re_match', args, 1)));
def('regex.is_valid', 1, ([p]) => {
  if (typeof p !== 'string') return false;
  try {
    regex(p);
    return true;
  } catch {
    return false;
  }
});
def('regex.split', 2, (args) =>
  regex(str('regex.split', args, 0), 'regex.split').split(str('regex.split', args, 1), -1),
);
function findAll(re: RE2JS, s: string, n: number): string[][] {
  const out: string[][] = [];
  const m = re.matcher(s);
  while ((n < 0 || out.length < n) && m.find()) {
    const groups: string[] = [];
    for (let g = 0; g <= re.groupCount(); g++) groups.push(m.group(g) ?? '');
    out.push(groups);
  }
  return out;
}
def('regex.find_n', 3, (args) =>
  findAll(regex(str('regex.find_n', args, 0)), str('regex.find_n', args, 1), int('regex.find_n', args, 2)).map(
    (g) => g[0],
  ),
);
def('regex.find_all_string_submatch_n', 3, (args) =>
  findAll(
    regex(str('regex.find_all_string_submatch_n', args, 0)),
    str('regex.find_all_string_submatch_n', args, 1),
    int('regex.find_all_string_submatch_n', args, 2),
  ),
);
def('regex.replace', 3, (args) =>
  regex(str('regex.replace', args, 1), 'regex.replace')
    .matcher(str('regex.replace', args, 0))
    .replaceAll(str('regex.replace', args, 2)),
);

/** A glob (gobwas syntax, as OPA's glob.match) as an RE2 pattern. */
export function globToRegex(glob: string, delimiters: string[]): string {
  const sep = delimiters.map((d) => RE2JS.quote(d)).join('');
  const notSep = delimiters.length > 0 ? `[^${delimiters.map((d) => d.replace(/[\\\]^-]/g, '\\$&')).join('')}]` : '.';
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') {
      i++;
      if (i >= glob.length) throw new BuiltinError('glob.match: unexpected end of pattern after escape');
      out += RE2JS.quote(glob[i]);
    } else if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += `${notSep}*`;
    } else if (c === '?') out += notSep;
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) throw new BuiltinError('glob.match: unterminated character class');
      let cls = glob.slice(i + 1, end);
      let neg = false;
      if (cls.startsWith('!')) {
        neg = true;
        cls = cls.slice(1);
      }
      out += `[${neg ? '^' : ''}${cls.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += RE2JS.quote(c);
  }
  if (depth > 0) throw new BuiltinError('glob.match: unterminated alternatives');
  void sep;
  return `^(?s:${out})$`;
}

def('glob.match', 3, (args) => {
  const pattern = str('glob.match', args, 0);
  let delims: string[];
  if (args[1] === null) delims = [];
  else {
    delims = arr('glob.match', args, 1).map((d) => {
      if (typeof d !== 'string') throw new BuiltinError('glob.match: operand 2 must be array of strings');
      return d;
    });
    if (delims.length === 0) delims = ['.'];
  }
  const subject = str('glob.match', args, 2);
  return regex(globToRegex(pattern, delims), 'glob.match').test(subject);
});
def('glob.quote_meta', 1, (args) => str('glob.quote_meta', args, 0).replace(/[*?\\[\]{}]/g, '\\$&'));
