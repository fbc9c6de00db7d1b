/**
 * Builds the smallest plausible value satisfying a contract schema: required fields only, first enum
 * value or option, minimum lengths and counts, strings that match the declared pattern and format.
 * Used by tests that walk every operation of the contract (e.g. the tenant isolation sweep).
 * `hints` give the value for a property or parameter by name (real canonicals of test data).
 */
export type Schema = Record<string, any>;

export interface SampleOptions {
  /** components.schemas of the contract, to resolve `$ref`s. */
  schemas: Record<string, Schema>;
  hints?: Record<string, unknown>;
}

const REF_PREFIX = '#/components/schemas/';
const MAX_DEPTH = 12;

const FORMAT_SAMPLES: Record<string, string> = {
  email: 'sample@example.com',
  uri: 'https://example.com/sample',
  url: 'https://example.com/sample',
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  uuid: '00000000-0000-4000-8000-000000000000',
  password: 'Sample-password-123!',
  byte: 'c2FtcGxl',
  ipv4: '192.0.2.1',
  hostname: 'sample.example.com',
};

/** Strings that satisfy most patterns of the contract; the first one matching wins. */
const STRING_CANDIDATES = [
  'sample-value',
  'sample',
  'sample-value:sample-value',
  'organization:team:read',
  'sample|value',
  'sample;value',
  'git@github.com:example/repo.git',
  '/sample/repo.git',
  'https://example.com/sample',
  'sample@example.com',
  'FR',
  'en',
  '1',
  'abc',
  'a',
  'Sample',
  'SAMPLE',
  'sample_value',
  'sample.value',
  '1.0.0',
  '#ffffff',
  'sample value',
];

export function resolveRef(schema: Schema, schemas: Record<string, Schema>): Schema {
  let current = schema;
  for (let i = 0; i < MAX_DEPTH && typeof current?.$ref === 'string'; i++) {
    const ref: string = current.$ref;
    current = ref.startsWith(REF_PREFIX) ? schemas[ref.slice(REF_PREFIX.length)] : {};
  }
  return current ?? {};
}

/** allOf members folded into one schema (properties and required lists merged). */
export function flatten(schema: Schema, schemas: Record<string, Schema>): Schema {
  const resolved = resolveRef(schema, schemas);
  if (!Array.isArray(resolved.allOf)) return resolved;
  const merged: Schema = { ...resolved, allOf: undefined, properties: { ...resolved.properties } };
  const required = new Set<string>(resolved.required ?? []);
  for (const member of resolved.allOf) {
    const part = flatten(member, schemas);
    Object.assign(merged.properties, part.properties ?? {});
    for (const name of part.required ?? []) required.add(name);
    merged.type ??= part.type;
  }
  merged.required = [...required];
  return merged;
}

/** Whether a string satisfies a string schema's length bounds and pattern. */
export function fits(value: string, schema: Schema): boolean {
  if (schema.minLength !== undefined && value.length < schema.minLength) return false;
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return false;
  if (schema.pattern !== undefined) {
    try {
      // The contract's patterns are written for non-unicode mode.
      if (!new RegExp(schema.pattern).test(value)) return false;
    } catch {
      return true;
    }
  }
  return true;
}

export function sampleString(schema: Schema, variant = 0): string {
  const format = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
  const bases = format ? [format, ...STRING_CANDIDATES] : STRING_CANDIDATES;
  const suffix = variant > 0 ? String(variant) : '';
  for (const base of bases) {
    const stretched = schema.minLength && base.length < schema.minLength ? base.padEnd(schema.minLength, 'a') : base;
    for (const candidate of suffix ? [`${stretched}${suffix}`, stretched] : [stretched]) {
      if (fits(candidate, schema)) return candidate;
    }
  }
  return 'a'.repeat(Math.max(1, schema.minLength ?? 1));
}

function sampleNumber(schema: Schema): number {
  let value = 1;
  if (typeof schema.minimum === 'number') value = Math.max(value, schema.minimum);
  if (typeof schema.exclusiveMinimum === 'number') value = Math.max(value, schema.exclusiveMinimum + 1);
  if (typeof schema.maximum === 'number') value = Math.min(value, schema.maximum);
  return schema.type === 'integer' ? Math.ceil(value) : value;
}

export function sampleValue(schema: Schema, options: SampleOptions, name?: string, depth = 0, variant = 0): unknown {
  if (name !== undefined && options.hints && Object.hasOwn(options.hints, name)) return options.hints[name];
  const s = flatten(schema, options.schemas);
  if (depth > MAX_DEPTH) return undefined;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[key]) && s[key].length > 0) return sampleValue(s[key][0], options, name, depth + 1, variant);
  }
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type ?? (s.properties ? 'object' : s.items ? 'array' : undefined)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const optional = Object.keys(s.properties ?? {}).filter((prop) => !(s.required ?? []).includes(prop));
      // minProperties asks for more than the required fields: add optional ones in declaration order.
      const extra = optional.slice(0, Math.max(0, (s.minProperties ?? 0) - (s.required ?? []).length));
      for (const prop of [...(s.required ?? []), ...extra]) {
        const propSchema =
          s.properties?.[prop] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : {});
        out[prop] = sampleValue(propSchema, options, prop, depth + 1);
      }
      return out;
    }
    case 'array': {
      const count = s.minItems ?? 0;
      return Array.from({ length: count }, (_, i) => sampleValue(s.items ?? {}, options, undefined, depth + 1, i));
    }
    case 'string':
      return sampleString(s, variant);
    case 'integer':
    case 'number':
      return sampleNumber(s);
    case 'boolean':
      return false;
    default:
      return {};
  }
}

/** A value as it travels in a path or query string. */
export function asParameter(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
