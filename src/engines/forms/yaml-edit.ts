// Top-level keys of a YAML variables file set in place: only the edited pairs are rewritten and new
// keys are appended, so comments, spacing and quoting of every other line stay as people wrote them
// (printing the whole document again would lose some comments and re-space values).

import { isMap, isScalar, parseDocument, stringify, type Node as YamlNode } from 'yaml';
import { FormsError } from './errors.js';
import { GO_YAML_OPTIONS } from './yaml.js';

interface Splice {
  from: number;
  to: number;
  text: string;
}

/** Words YAML 1.1 reads as booleans or null: never plain text in a pair we write ourselves. */
const KEYWORDS = /^(?:y|yes|n|no|true|false|on|off|null)$/i;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/**
 * Text the YAML printer leaves plain whatever the schema: it starts with a letter, `(` or `/` (so it
 * reads as no number, date or null), has no control character or line break, and none of the
 * indicator sequences the printer quotes (`: `, ` #`, a trailing space or colon; its own test).
 */
const PLAIN_START = /^[A-Za-z(/]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters force quoting
const NEEDS_QUOTES = /[\x00-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/u;
const STRINGIFY_OPTIONS = { ...GO_YAML_OPTIONS, lineWidth: 0 };

/**
 * `key: value` as a block-style YAML pair (no trailing newline). Printing one pair with the YAML
 * library builds a document (tens of microseconds, most of an interpolation): the common pairs, a
 * plain key with a boolean, a safe integer or plain text, are written directly, exactly as the
 * library writes them (test/engines/forms.test.ts compares both).
 */
export function pairText(key: string, value: unknown): string {
  if (PLAIN_KEY.test(key) && !KEYWORDS.test(key)) {
    if (typeof value === 'boolean') return `${key}: ${value}`;
    if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) return `${key}: ${value}`;
    if (typeof value === 'string' && PLAIN_START.test(value) && !NEEDS_QUOTES.test(value) && !KEYWORDS.test(value)) {
      return `${key}: ${value}`;
    }
  }
  return stringify({ [key]: value }, STRINGIFY_OPTIONS).replace(/\n$/, '');
}

/** Where each top-level pair of a variables file lies: key start and value end offsets. */
type Layout = Map<string, { keyStart: number; valueEnd: number }>;

// Every request for a stack edits the same sample texts, and parsing one is most of the work left:
// layouts are kept per text (bounded in count and size; a text that does not parse is never kept).
const LAYOUTS_MAX = 64;
const LAYOUT_TEXT_MAX = 256 * 1024;
const layouts = new Map<string, Layout>();

/**
 * Sets each `[key, value]` at the top level of `text` (a YAML map, or an empty or comment-only file).
 * Throws FormsError naming `name` when the file is not YAML or not a map.
 */
export function setYamlKeys(text: string, entries: readonly (readonly [string, unknown])[], name: string): string {
  if (entries.length === 0) return text;
  let pairs = layouts.get(text);
  if (pairs) {
    layouts.delete(text);
    layouts.set(text, pairs);
  } else {
    const doc = parseDocument(text, GO_YAML_OPTIONS);
    if (doc.errors.length > 0) throw new FormsError(`${name}: ${doc.errors[0]!.message.split('\n')[0]}`);
    const contents = doc.contents as YamlNode | null;
    if (contents !== null && !isMap(contents)) throw new FormsError(`${name}: the file is not a map of variables`);
    const anchored = isMap(contents) && contents.items.some((p) => (p.value as YamlNode | null)?.anchor !== undefined);
    if (isMap(contents) && (contents.flow || anchored)) {
      // A one-line `{a: 1}` file has no line of its own to keep, and an anchored value may be aliased
      // elsewhere: print the document again.
      for (const [key, value] of entries) doc.set(key, doc.createNode(value));
      return doc.toString({ lineWidth: 0 });
    }
    // The last pair of a repeated key is the one yaml.v2 keeps.
    pairs = new Map();
    for (const pair of isMap(contents) ? contents.items : []) {
      const key = pair.key as YamlNode | null;
      const value = pair.value as YamlNode | null;
      if (!isScalar(key) || !key.range) continue;
      const end = value?.range ? value.range[1] : key.range[1];
      pairs.set(String(key.value), { keyStart: key.range[0], valueEnd: end });
    }
    if (text.length <= LAYOUT_TEXT_MAX) {
      layouts.set(text, pairs);
      if (layouts.size > LAYOUTS_MAX) layouts.delete(layouts.keys().next().value!);
    }
  }
  const splices: Splice[] = [];
  const appended: string[] = [];
  for (const [key, value] of entries) {
    const at = pairs.get(key);
    if (at) {
      // Line breaks that end the old value's range end the new one too.
      const trailing = text.slice(trailingSpaceStart(text, at.keyStart, at.valueEnd), at.valueEnd);
      splices.push({ from: at.keyStart, to: at.valueEnd, text: pairText(key, value) + trailing });
    } else appended.push(pairText(key, value));
  }
  splices.sort((a, b) => b.from - a.from);
  let out = text;
  for (const s of splices) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  if (appended.length > 0) {
    const sep = out === '' || out.endsWith('\n') ? '' : '\n';
    out = `${out}${sep}${appended.join('\n')}\n`;
  }
  return out;
}

/** Where the whitespace ending `text[from, to)` starts (a backward scan: linear in any input). */
function trailingSpaceStart(text: string, from: number, to: number): number {
  let at = to;
  while (at > from && /\s/.test(text[at - 1]!)) at--;
  return at;
}
