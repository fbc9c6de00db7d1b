/**
 * A small Elasticsearch 7 stand-in: `POST|GET /<index>[,<index>|pattern*]/_search` over documents kept in
 * memory. It evaluates the query it receives (bool, term, terms, match, range, exists, match_all and the
 * simple query_string forms) and refuses anything else with ES's 400 `parsing_exception` body, so a
 * wrongly built query fails the test. Optional Basic auth answers ES's 401 `security_exception`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedEsRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when there was none). */
  body: any;
}

export interface FakeElasticsearch {
  url: string;
  /** Adds documents to an index (created on first use). */
  index(name: string, docs: Record<string, unknown>[]): void;
  requests: RecordedEsRequest[];
  close(): Promise<void>;
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const tokens = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter(Boolean);

type Doc = Record<string, unknown>;
type Predicate = (doc: Doc) => boolean;

/** Every value at a dotted path, nested (`{a: {b}}`) or literal (`{"a.b"}`) or mixed; arrays flattened. */
function valuesAt(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  const out: unknown[] = [];
  const walk = (node: unknown, from: number): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, from);
    } else if (from === parts.length) {
      if (node !== undefined && node !== null) out.push(node);
    } else if (isObj(node)) {
      for (let to = from + 1; to <= parts.length; to++) {
        const key = parts.slice(from, to).join('.');
        if (Object.hasOwn(node, key)) walk(node[key], to);
      }
    }
  };
  walk(doc, 0);
  return out;
}

/** Numbers and digit strings are epoch ms; other strings are dates (UTC when zone-less), as ES reads them. */
function toMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (/^-?\d+$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** All string and number leaves of a document, for free-text query_string terms. */
function leaves(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(leaves);
  if (isObj(node)) return Object.values(node).flatMap(leaves);
  return typeof node === 'string' || typeof node === 'number' ? [String(node)] : [];
}

/**
 * The query_string subset the engine generates or users type: terms, "phrases", field:value,
 * field:[a TO b] / {a TO b} with `*`, field:*, AND/OR/NOT (&&, ||, !, +, -), parentheses, implicit
 * operator. Anything else (fuzzy ~, boost ^, regex /, wildcards inside words) throws.
 */
function parseQueryString(text: string, implicitAnd: boolean): Predicate {
  const toks = text.match(/\s+|\(|\)|&&|\|\||"(?:\\.|[^"\\])*"|[[{][^\]}]*[\]}]|(?:\\.|[^\s()"[\]{}])+/g) ?? [];
  const list = toks.filter((t) => t.trim() !== '');
  if (list.join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) throw new Error('unbalanced quotes or brackets');
  let i = 0;
  const peek = () => list[i];
  const isOp = (t: string | undefined, ...ops: string[]) => t !== undefined && ops.includes(t);
  const unescapeLucene = (t: string) => t.replace(/\\(.)/g, '$1');

  const parseOr = (): Predicate => {
    let left = parseAnd();
    while (i < list.length && peek() !== ')') {
      if (isOp(peek(), 'OR', '||')) {
        i++;
        const [a, b] = [left, parseAnd()];
        left = (d) => a(d) || b(d);
      } else {
        const [a, b] = [left, parseAnd()];
        left = implicitAnd ? (d) => a(d) && b(d) : (d) => a(d) || b(d);
      }
    }
    return left;
  };
  const parseAnd = (): Predicate => {
    let left = parseUnary();
    while (isOp(peek(), 'AND', '&&')) {
      i++;
      const [a, b] = [left, parseUnary()];
      left = (d) => a(d) && b(d);
    }
    return left;
  };
  const parseUnary = (): Predicate => {
    const t = peek();
    if (t === undefined) throw new Error('unexpected end of query');
    if (isOp(t, 'NOT', '!')) {
      i++;
      const p = parseUnary();
      return (d) => !p(d);
    }
    if (t.length > 1 && (t[0] === '-' || t[0] === '+' || t[0] === '!')) {
      list[i] = t.slice(1);
      const p = parseUnary();
      return t[0] === '+' ? p : (d) => !p(d);
    }
    if (t === '(') {
      i++;
      const p = parseOr();
      if (list[i++] !== ')') throw new Error('missing )');
      return p;
    }
    i++;
    return parseTerm(t);
  };
  const parseTerm = (t: string): Predicate => {
    const colon = /^((?:\\.|[^:\\])+):(.*)$/.exec(t);
    if (!colon) return freeText(t);
    const field = unescapeLucene(colon[1]!);
    let value = colon[2]!;
    if (value === '' && /^[[{"]/.test(peek() ?? '')) value = list[i++]!;
    if (value === '*') return (d) => valuesAt(d, field).length > 0;
    const range = /^([[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$/.exec(value);
    if (range) return rangeOn(field, range);
    const want = value.startsWith('"') ? unescapeLucene(value.slice(1, -1)) : checkedWord(value);
    return (d) =>
      valuesAt(d, field).some((v) =>
        typeof v === 'string'
          ? v.toLowerCase().includes(want.toLowerCase()) && tokensOverlap(v, want)
          : String(v) === want,
      );
  };
  const rangeOn = (field: string, [, open, lo, hi, close]: RegExpExecArray): Predicate => {
    const bound = (b: string) => (b === '*' ? undefined : (toMs(unescapeLucene(b)) ?? fail(`bad range bound ${b}`)));
    const [min, max] = [bound(lo!), bound(hi!)];
    return (d) =>
      valuesAt(d, field).some((raw) => {
        const v = toMs(raw);
        if (v === undefined) return false;
        const aboveMin = min === undefined || (open === '[' ? v >= min : v > min);
        return aboveMin && (max === undefined || (close === ']' ? v <= max : v < max));
      });
  };
  const freeText = (t: string): Predicate => {
    const want = t.startsWith('"') ? unescapeLucene(t.slice(1, -1)).toLowerCase() : checkedWord(t).toLowerCase();
    return (d) => leaves(d).some((leaf) => leaf.toLowerCase().includes(want) && tokensOverlap(leaf, want));
  };
  const p = parseOr();
  if (i !== list.length) throw new Error(`unexpected ${peek()}`);
  return p;
}

function fail(message: string): never {
  throw new Error(message);
}

/** A bare word: no unescaped operators the fake does not implement. */
function checkedWord(word: string): string {
  if (/(^|[^\\])[~^/*?[\]{}:]/.test(word)) throw new Error(`unsupported syntax in ${word}`);
  return word.replace(/\\(.)/g, '$1');
}

/** Analyzed matching: every token of the wanted text is a token of the value. */
function tokensOverlap(value: string, want: string): boolean {
  const have = new Set(tokens(value));
  return tokens(want).every((t) => have.has(t));
}

class EsFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const parsing = (reason: string) => new EsFault(400, 'parsing_exception', reason);

/** `{field: body}` clauses (term, match, range...) have exactly one field. */
function single(type: string, body: unknown): [string, any] {
  if (!isObj(body) || Object.keys(body).length !== 1) throw parsing(`[${type}] query malformed, no start_object`);
  return Object.entries(body)[0] as [string, any];
}

function onlyKeys(type: string, body: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw parsing(`[${type}] query does not support [${key}]`);
  }
}

function compile(clause: unknown): Predicate {
  if (!isObj(clause) || Object.keys(clause).length !== 1) throw parsing('query malformed, expected one query type');
  const [type, body] = Object.entries(clause)[0]!;
  switch (type) {
    case 'match_all':
      return () => true;
    case 'bool':
      return compileBool(body);
    case 'exists': {
      if (!isObj(body) || typeof body.field !== 'string') throw parsing('[exists] must be provided with a [field]');
      return (doc) => valuesAt(doc, body.field).length > 0;
    }
    case 'term': {
      const [field, raw] = single(type, body);
      const value = isObj(raw) ? raw.value : raw;
      if (isObj(raw)) onlyKeys(type, raw, ['value']);
      return (doc) => valuesAt(doc, field).some((v) => v === value);
    }
    case 'terms': {
      const [field, list] = single(type, body);
      if (!Array.isArray(list)) throw parsing('[terms] query does not support [value]');
      return (doc) => valuesAt(doc, field).some((v) => list.includes(v));
    }
    case 'match': {
      const [field, raw] = single(type, body);
      const spec = isObj(raw) ? raw : { query: raw };
      onlyKeys(type, spec, ['query', 'operator']);
      const wanted = tokens(String(spec.query));
      const all = String(spec.operator ?? 'or').toLowerCase() === 'and';
      return (doc) => {
        const have = new Set(valuesAt(doc, field).flatMap((v) => tokens(String(v))));
        return all ? wanted.every((t) => have.has(t)) : wanted.some((t) => have.has(t));
      };
    }
    case 'range':
      return compileRange(...single(type, body));
    case 'query_string': {
      if (!isObj(body) || typeof body.query !== 'string') throw parsing('[query_string] requires [query]');
      onlyKeys(type, body, ['query', 'default_operator']);
      try {
        return parseQueryString(body.query, String(body.default_operator ?? 'or').toLowerCase() === 'and');
      } catch (error) {
        throw parsing(`Failed to parse query [${body.query}]: ${(error as Error).message}`);
      }
    }
    default:
      throw parsing(`unknown query [${type}]`);
  }
}

function compileBool(body: unknown): Predicate {
  if (!isObj(body)) throw parsing('[bool] query malformed, no start_object');
  onlyKeys('bool', body, ['must', 'filter', 'should', 'must_not', 'minimum_should_match']);
  const list = (key: string) => {
    const v = body[key];
    return (v === undefined ? [] : Array.isArray(v) ? v : [v]).map(compile);
  };
  const [must, filter, should, mustNot] = [list('must'), list('filter'), list('should'), list('must_not')];
  // ES: with no must/filter, at least one should clause has to match.
  const minShould = Number(body.minimum_should_match ?? (must.length + filter.length === 0 && should.length ? 1 : 0));
  return (doc) =>
    must.every((p) => p(doc)) &&
    filter.every((p) => p(doc)) &&
    !mustNot.some((p) => p(doc)) &&
    should.filter((p) => p(doc)).length >= minShould;
}

function compileRange(field: string, spec: any): Predicate {
  if (!isObj(spec)) throw parsing('[range] query malformed, no start_object');
  onlyKeys('range', spec, ['gte', 'gt', 'lte', 'lt', 'format']);
  if (spec.format !== undefined && !String(spec.format).split('||').includes('epoch_millis')) {
    throw parsing(`[range] format [${spec.format}] is not supported by this fake`);
  }
  const bound = (key: string) => {
    if (spec[key] === undefined || spec[key] === null) return undefined;
    const ms = toMs(spec[key]);
    if (ms === undefined) throw parsing(`[range] failed to parse [${key}] value [${spec[key]}]`);
    return ms;
  };
  const [gte, gt, lte, lt] = [bound('gte'), bound('gt'), bound('lte'), bound('lt')];
  return (doc) =>
    valuesAt(doc, field).some((raw) => {
      const v = toMs(raw);
      if (v === undefined) return false;
      return (
        (gte === undefined || v >= gte) &&
        (gt === undefined || v > gt) &&
        (lte === undefined || v <= lte) &&
        (lt === undefined || v < lt)
      );
    });
}

interface SortKey {
  field: string;
  desc: boolean;
}

function parseSort(sort: unknown): SortKey[] {
  const list = sort === undefined ? [] : Array.isArray(sort) ? sort : [sort];
  return list.map((item) => {
    if (typeof item === 'string') return { field: item, desc: false };
    const [field, spec] = single('sort', item);
    if (isObj(spec)) onlyKeys('sort', spec, ['order', 'unmapped_type']);
    const order = typeof spec === 'string' ? spec : spec?.order;
    if (order !== undefined && order !== 'asc' && order !== 'desc') throw parsing(`[sort] unknown order [${order}]`);
    return { field, desc: order === 'desc' };
  });
}

/** ES sorts dates and numbers by value (and returns epoch ms as the sort value), text by text. */
function sortValue(doc: Record<string, unknown>, field: string): number | string | null {
  const raw = valuesAt(doc, field)[0];
  if (raw === undefined) return null;
  return toMs(raw) ?? String(raw);
}

interface Stored {
  index: string;
  id: string;
  source: Record<string, unknown>;
}

function search(indices: Map<string, Stored[]>, indexParam: string, body: any) {
  const docs: Stored[] = [];
  for (const name of indexParam.split(',')) {
    if (name.includes('*')) {
      const re = new RegExp(
        `^${name
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
      for (const [key, list] of indices) if (re.test(key)) docs.push(...list);
    } else {
      const list = indices.get(name);
      if (!list) throw new EsFault(404, 'index_not_found_exception', `no such index [${name}]`);
      docs.push(...list);
    }
  }
  if (body !== undefined && !isObj(body)) throw parsing('request body must be an object');
  const spec = body ?? {};
  for (const key of Object.keys(spec)) {
    if (!['query', 'sort', 'size', 'from', 'track_total_hits'].includes(key)) {
      throw parsing(`Unknown key for a START_OBJECT in [${key}].`);
    }
  }
  const predicate = spec.query === undefined ? () => true : compile(spec.query);
  const keys = parseSort(spec.sort);
  const matched = docs.filter((d) => predicate(d.source));
  const withSort = matched.map((d) => ({ d, sort: keys.map((k) => sortValue(d.source, k.field)) }));
  withSort.sort((a, b) => {
    for (const [i, key] of keys.entries()) {
      const [x, y] = [a.sort[i], b.sort[i]];
      if (x === y) continue;
      if (x === null) return 1; // missing values last, as ES does by default
      if (y === null) return -1;
      const cmp = x < y ? -1 : 1;
      return key.desc ? -cmp : cmp;
    }
    return 0;
  });
  const from = Number(spec.from ?? 0);
  const size = Number(spec.size ?? 10);
  if (!Number.isInteger(size) || size < 0 || size + from > 10_000) {
    throw new EsFault(400, 'illegal_argument_exception', 'Result window is too large');
  }
  const page = withSort.slice(from, from + size);
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: {
      total: { value: matched.length, relation: 'eq' },
      max_score: null,
      hits: page.map(({ d, sort }) => ({
        _index: d.index,
        _type: '_doc',
        _id: d.id,
        _score: null,
        _source: d.source,
        ...(keys.length ? { sort } : {}),
      })),
    },
  };
}

export async function startFakeElasticsearch(
  opts: { username?: string; password?: string; tls?: { key: string; cert: string } } = {},
): Promise<FakeElasticsearch> {
  const indices = new Map<string, Stored[]>();
  const requests: RecordedEsRequest[] = [];
  let nextId = 1;
  const expectedAuth =
    opts.username === undefined
      ? undefined
      : `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const text = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
        res.end(JSON.stringify(payload));
      };
      const fail = (f: EsFault, headers: Record<string, string> = {}) =>
        send(
          f.status,
          {
            error: { root_cause: [{ type: f.type, reason: f.reason }], type: f.type, reason: f.reason },
            status: f.status,
          },
          headers,
        );
      let body: any;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });

      if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
        const reason = req.headers.authorization
          ? `unable to authenticate user [${opts.username}] for REST request [${path}]`
          : `missing authentication credentials for REST request [${path}]`;
        return fail(new EsFault(401, 'security_exception', reason), {
          'www-authenticate': 'Basic realm="security" charset="UTF-8"',
        });
      }
      const match = /^\/([^/?]+)\/_search(?:\?.*)?$/.exec(path);
      if (!match || (req.method !== 'POST' && req.method !== 'GET')) {
        return fail(new EsFault(405, 'illegal_argument_exception', `Incorrect HTTP method for uri [${path}]`));
      }
      if (typeof body === 'string') return fail(parsing('request body is not JSON'));
      try {
        send(200, search(indices, decodeURIComponent(match[1]!), body));
      } catch (error) {
        if (error instanceof EsFault) fail(error);
        else fail(new EsFault(500, 'exception', String(error)));
      }
    });
  };
  const server = opts.tls ? createHttpsServer(opts.tls, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    index(name, docs) {
      const list = indices.get(name) ?? [];
      for (const source of docs) list.push({ index: name, id: String(nextId++), source });
      indices.set(name, list);
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
