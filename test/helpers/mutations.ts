/**
 * Hostile variants of a valid request, generated from the operation's contract schemas: NUL bytes,
 * over-long strings, 100,000-item arrays, 10,000-deep JSON, wrong types, huge numbers and unknown
 * fields, one change at a time, in the path, the query and at every body field (nested objects and
 * array items included). Used by the authenticated bad-input sweep (test/sweeps/bad-input-sweep.test.ts).
 */
import type { ContractOperation } from '../../src/platform/http/contract.js';
import { fits, flatten, type Schema, sampleString, sampleValue } from './sample-body.js';

/** A request as the sweeps build it: decoded path values, query pairs, and a JSON body. */
export interface RequestShape {
  path: Record<string, string>;
  query: Array<[string, string]>;
  /** undefined: no body is sent. */
  body: unknown;
}

/**
 * `4xx`: the request is invalid for the contract, or hostile in a way the server refuses (NUL bytes,
 * deep JSON, huge arrays, unsafe integers): any 4xx passes. `no-5xx`: the contract allows it
 * (a long string where no maxLength is declared), so any answer but a 5xx passes.
 */
export type Expectation = '4xx' | 'no-5xx';

export interface Mutation {
  /** `body.rules[0].action: NUL byte`, `query.begin: unsafe integer`, `path.team_canonical: over-long`. */
  label: string;
  expect: Expectation;
  request: RequestShape;
}

export const DEEP_LEVELS = 10_000;
export const HUGE_ARRAY = 100_000;
/** Strings where the contract declares no maxLength (well under the 1 MiB body limit). */
export const LONG_STRING = 200_000;
/** A query value where the contract declares no maxLength (Node refuses request lines over 16 KiB). */
export const LONG_QUERY = 8_000;
/** Repetitions of an array query parameter (the request line stays under Node's 16 KiB). */
export const QUERY_REPETITIONS = 400;
/** Under the default body limit, for arrays whose 100,000 items would only be a 413. */
const BODY_BUDGET = 900_000;

// Sentinels replaced by raw JSON text when the request is serialized (see serializeBody).
const DEEP_OBJECT = '\u0001sweep-deep-object\u0001';
const DEEP_ARRAY = '\u0001sweep-deep-array\u0001';
const DEEP_OBJECT_TEXT = `${'{"a":'.repeat(DEEP_LEVELS)}1${'}'.repeat(DEEP_LEVELS)}`;
const DEEP_ARRAY_TEXT = `${'['.repeat(DEEP_LEVELS)}1${']'.repeat(DEEP_LEVELS)}`;

/** The body as sent, with the deep-JSON sentinels expanded. */
export function serializeBody(body: unknown): string {
  return JSON.stringify(body)
    .replaceAll(JSON.stringify(DEEP_OBJECT), DEEP_OBJECT_TEXT)
    .replaceAll(JSON.stringify(DEEP_ARRAY), DEEP_ARRAY_TEXT);
}

export function urlOf(op: ContractOperation, request: RequestShape): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(request.path[name] ?? ''));
  const query = new URLSearchParams(request.query);
  return query.size > 0 ? `${path}?${query}` : path;
}

type Segment = string | number;

function setAt(root: unknown, at: Segment[], value: unknown): unknown {
  if (at.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of at.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[at[at.length - 1]] = value;
  return copy;
}

function label(at: Segment[]): string {
  let out = 'body';
  for (const segment of at) out += typeof segment === 'number' ? `[${segment}]` : `.${segment}`;
  return out;
}

const TYPES_OF_VALUES: Record<string, string> = { string: 'string', number: 'number', boolean: 'boolean' };

function typesOf(schema: Schema, value: unknown): string[] {
  if (Array.isArray(schema.type)) return schema.type.filter((t: string) => t !== 'null');
  if (typeof schema.type === 'string') return [schema.type];
  if (schema.properties) return ['object'];
  if (schema.items) return ['array'];
  // No type, properties or items declared: any JSON is accepted here.
  if (Object.keys(schema).every((key) => ['description', 'title', 'allOf', 'required'].includes(key))) return [];
  if (Array.isArray(value)) return ['array'];
  if (value !== null && typeof value === 'object') return ['object'];
  const t = TYPES_OF_VALUES[typeof value];
  return t ? [t] : [];
}

/** The schema that applies to a value: allOf merged, discriminators and oneOf/anyOf resolved by shape. */
export function effectiveSchema(schema: Schema, value: unknown, schemas: Record<string, Schema>): Schema {
  let s = flatten(schema, schemas);
  const discriminator = s.discriminator as { propertyName?: string; mapping?: Record<string, string> } | undefined;
  if (discriminator?.propertyName && discriminator.mapping && value && typeof value === 'object') {
    const ref = discriminator.mapping[String((value as Record<string, unknown>)[discriminator.propertyName])];
    if (ref) s = flatten({ $ref: ref }, schemas);
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (!Array.isArray(s[key]) || s[key].length === 0) continue;
    const keys = value && typeof value === 'object' ? Object.keys(value) : [];
    const members = (s[key] as Schema[]).map((m) => flatten(m, schemas));
    s = members.find((m) => keys.every((k) => Object.hasOwn(m.properties ?? {}, k))) ?? members[0];
  }
  return s;
}

/** The smallest valid item of an array, so that many of them fit in one body. */
function compactItem(schema: Schema, schemas: Record<string, Schema>): unknown {
  const s = flatten(schema, schemas);
  if (s.type === 'string' && !s.enum && !s.format) {
    for (const candidate of ['a', 'ab', 'abc', 'a-b', 'aaa']) if (fits(candidate, s)) return candidate;
  }
  return sampleValue(schema, { schemas });
}

/** Mutations of one value in place: `at` names it, `root` is the whole (valid) body it sits in. */
function mutateValue(
  schema: Schema,
  value: unknown,
  at: Segment[],
  root: unknown,
  schemas: Record<string, Schema>,
  out: Mutation[],
  depth: number,
): void {
  const s = effectiveSchema(schema, value, schemas);
  const types = typesOf(s, value);
  const where = label(at);
  const add = (what: string, expect: Expectation, replacement: unknown, base = root) =>
    out.push({
      label: `${where}: ${what}`,
      expect,
      request: { path: {}, query: [], body: setAt(base, at, replacement) },
    });
  const wrongType = (replacement: unknown, jsonType: string) => {
    if (!types.includes(jsonType) && !(jsonType === 'integer' && types.includes('number'))) {
      add(`wrong type (${jsonType})`, '4xx', replacement);
    }
  };

  if (types.length === 0) {
    // Any JSON is accepted here (e.g. a guide, search prefilters): only its shape can hurt.
    add(`${DEEP_LEVELS}-deep JSON`, '4xx', DEEP_OBJECT);
    add(`NUL byte`, '4xx', 'sample\u0000value');
    return;
  }
  const primary = types[0];
  if (primary === 'string') {
    const base = typeof value === 'string' ? value : sampleString(s);
    add('NUL byte', '4xx', `${base}\u0000`);
    if (typeof s.maxLength === 'number') add(`over maxLength ${s.maxLength}`, '4xx', 'a'.repeat(s.maxLength + 1));
    else if (!Array.isArray(s.enum)) add(`${LONG_STRING} characters`, 'no-5xx', 'a'.repeat(LONG_STRING));
    wrongType(12345, 'integer');
    return;
  }
  if (primary === 'integer' || primary === 'number') {
    wrongType('not-a-number', 'string');
    add('unsafe integer 2^53+1', '4xx', 2 ** 53 + 2);
    add('huge number 1e308', '4xx', 1e308);
    return;
  }
  if (primary === 'boolean') {
    wrongType('yes', 'string');
    return;
  }
  if (primary === 'array') {
    wrongType({ sweep: 1 }, 'object');
    const itemSchema = s.items ?? {};
    const item = compactItem(itemSchema, schemas);
    add(`${HUGE_ARRAY} items`, '4xx', new Array(HUGE_ARRAY).fill(item));
    const itemSize = JSON.stringify(item).length + 1;
    if (itemSize * HUGE_ARRAY > BODY_BUDGET) {
      // 100,000 such items are only a 413: also send as many as a body may carry.
      const count = Math.floor(BODY_BUDGET / itemSize);
      add(`${count} items (as many as the body limit allows)`, 'no-5xx', new Array(count).fill(item));
    }
    add(`${DEEP_LEVELS}-deep JSON item`, '4xx', [DEEP_ARRAY]);
    if (depth < 4) {
      const itemValue = Array.isArray(value) && value.length > 0 ? value[0] : sampleValue(itemSchema, { schemas });
      const itemTypes = typesOf(effectiveSchema(itemSchema, itemValue, schemas), itemValue);
      if (itemTypes.includes('object')) {
        const withItem = setAt(root, at, [itemValue, ...(Array.isArray(value) ? value.slice(1) : [])]);
        mutateValue(itemSchema, itemValue, [...at, 0], withItem, schemas, out, depth + 1);
      } else if (itemTypes.includes('string')) {
        const withItem = setAt(root, at, [itemValue, ...(Array.isArray(value) ? value.slice(1) : [])]);
        const itemAt = [...at, 0];
        out.push({
          label: `${label(itemAt)}: NUL byte`,
          expect: '4xx',
          request: { path: {}, query: [], body: setAt(withItem, itemAt, `${itemValue}\u0000`) },
        });
      }
    }
    return;
  }
  // An object.
  wrongType('not-an-object', 'string');
  add(`${DEEP_LEVELS}-deep JSON`, '4xx', DEEP_OBJECT);
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const closed = Object.keys(properties).length > 0 && s.additionalProperties !== true;
  const current = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const objectAt = value && typeof value === 'object' ? root : setAt(root, at, current);
  if (closed) {
    const unknown = { ...current, sweep_unknown_field: 'x' };
    out.push({
      label: `${where}: unknown field`,
      expect: '4xx',
      request: { path: {}, query: [], body: setAt(objectAt, at, unknown) },
    });
  }
  if (depth >= 4) return;
  for (const [name, propSchema] of Object.entries(properties)) {
    const present = Object.hasOwn(current, name);
    const propValue = present ? current[name] : sampleValue(propSchema, { schemas });
    const base = present ? objectAt : setAt(objectAt, [...at, name], propValue);
    mutateValue(propSchema, propValue, [...at, name], base, schemas, out, depth + 1);
  }
}

/** Every mutation of a valid request; the request's other parts are kept as they are. */
export function mutationsOf(
  op: ContractOperation,
  valid: RequestShape,
  schemas: Record<string, Schema>,
  extraQuery: Record<string, Schema> = {},
): Mutation[] {
  const out: Mutation[] = [];
  const withPath = (name: string, value: string): RequestShape => ({
    ...valid,
    path: { ...valid.path, [name]: value },
  });
  for (const p of op.parameters.filter((p) => p.in === 'path')) {
    const s = flatten(p.schema, schemas);
    const base = valid.path[p.name] ?? '';
    const add = (what: string, value: string) =>
      out.push({ label: `path.${p.name}: ${what}`, expect: '4xx', request: withPath(p.name, value) });
    add('NUL byte', `${base}\u0000`);
    add(s.maxLength ? `over maxLength ${s.maxLength}` : 'over-long', 'a'.repeat((s.maxLength ?? 999) + 1));
    if (s.type === 'integer' || s.type === 'number') {
      add('wrong type (string)', 'not-a-number');
      add('huge integer', '99999999999999999999');
      add('unsafe integer 2^53+1', String(2 ** 53 + 1));
    }
  }

  const queryParams: Array<[string, Schema]> = [
    ...op.parameters.filter((p) => p.in === 'query').map((p): [string, Schema] => [p.name, p.schema]),
    ...Object.entries(extraQuery),
  ];
  const withQuery = (name: string, values: string[]): RequestShape => ({
    ...valid,
    query: [...valid.query.filter(([n]) => n !== name), ...values.map((v): [string, string] => [name, v])],
  });
  for (const [name, schema] of queryParams) {
    const s = flatten(schema, schemas);
    const add = (what: string, expect: Expectation, values: string[]) =>
      out.push({ label: `query.${name}: ${what}`, expect, request: withQuery(name, values) });
    const itemSchema = s.type === 'array' ? flatten(s.items ?? {}, schemas) : s;
    const sample = Array.isArray(itemSchema.enum)
      ? String(itemSchema.enum[0])
      : itemSchema.type === 'string'
        ? sampleString(itemSchema)
        : '1';
    if (itemSchema.type === 'string') {
      add('NUL byte', '4xx', [`${sample}\u0000`]);
      if (typeof itemSchema.maxLength === 'number') {
        add(`over maxLength ${itemSchema.maxLength}`, '4xx', ['a'.repeat(itemSchema.maxLength + 1)]);
      } else if (!Array.isArray(itemSchema.enum)) {
        add(`${LONG_QUERY} characters`, 'no-5xx', ['a'.repeat(LONG_QUERY)]);
      }
    }
    if (itemSchema.type === 'integer' || itemSchema.type === 'number') {
      add('wrong type (string)', '4xx', ['not-a-number']);
      add('unsafe integer 2^53+1', '4xx', [String(2 ** 53 + 1)]);
      add('huge number 1e308', '4xx', ['1e308']);
    }
    if (itemSchema.type === 'boolean') add('wrong type (string)', '4xx', ['maybe']);
    if (s.type === 'array')
      add(`${QUERY_REPETITIONS} repetitions`, 'no-5xx', new Array(QUERY_REPETITIONS).fill(sample));
  }
  out.push({
    label: 'query: unknown parameter',
    expect: '4xx',
    request: { ...valid, query: [...valid.query, ['sweep_unknown_parameter', '1']] },
  });

  if (!op.requestBody) {
    if (op.method !== 'GET')
      out.push({
        label: 'body: sent to an operation that takes none',
        expect: '4xx',
        request: { ...valid, body: { a: 1 } },
      });
    return out;
  }
  const bodyOut: Mutation[] = [];
  mutateValue(op.requestBody.schema, valid.body, [], valid.body, schemas, bodyOut, 0);
  for (const m of bodyOut) out.push({ ...m, request: { ...valid, body: m.request.body } });
  return out;
}
