import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fastJson from 'fast-json-stringify';
import { ajvLinearRegExp } from '../text/linear-regexp.js';
import type { Contract, JsonSchema } from './contract.js';

/**
 * Turns contract schemas into request validators (Ajv, 2020 dialect) and response serializers
 * (fast-json-stringify). Both are compiled lazily, on first use of an operation, so start-up stays
 * fast; `compileAll` in the contract test proves every schema compiles.
 */

const LOOSE_ID = 'contract.json';
const STRICT_ID = 'contract-strict.json';
const REF_PREFIX = '#/components/schemas/';

type Node = unknown;

function mapRefs(node: Node, target: string): Node {
  if (Array.isArray(node)) return node.map((n) => mapRefs(n, target));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)) {
      out.$ref = `${target}#/$defs/${value.slice(REF_PREFIX.length)}`;
    } else if (key === 'discriminator' || key === 'example' || key === 'examples') {
      // OpenAPI-only keywords: the discriminator is enforced by the allOf/oneOf shapes themselves.
    } else {
      out[key] = mapRefs(value, target);
    }
  }
  return out;
}

/**
 * OpenAPI discriminators (`{propertyName, mapping}` on a base schema that its subtypes extend with
 * allOf): JSON Schema has no such keyword, so a reference to the base is turned into a dispatch on the
 * property's value. Subtypes keep extending the plain base (a `__plain` copy), so nothing recurses.
 */
interface Discriminator {
  property: string;
  /** Property value -> subtype schema name. */
  mapping: Array<[string, string]>;
}

function discriminatorsOf(contract: Contract): Map<string, Discriminator> {
  const found = new Map<string, Discriminator>();
  for (const [name, schema] of Object.entries(contract.schemas)) {
    const d = schema.discriminator as { propertyName?: string; mapping?: Record<string, string> } | undefined;
    if (!d?.propertyName || !d.mapping) continue;
    found.set(name, {
      property: d.propertyName,
      mapping: Object.entries(d.mapping).map(([value, ref]) => [value, ref.slice(REF_PREFIX.length)]),
    });
  }
  return found;
}

/** A JSON Schema conditional (built as entries: `then` on an object literal reads as a thenable to linters). */
function conditional(condition: JsonSchema, then: JsonSchema, otherwise?: JsonSchema): JsonSchema {
  const entries: Array<[string, JsonSchema]> = [
    ['if', condition],
    ['then', then],
  ];
  if (otherwise) entries.push(['else', otherwise]);
  return Object.fromEntries(entries) as JsonSchema;
}

/** Points the subtypes' allOf references to their base at the base's `__plain` copy. */
function withPlainBases(defs: Record<string, JsonSchema>, bases: Map<string, Discriminator>, id: string) {
  for (const [base, d] of bases) {
    defs[`${base}__plain`] = defs[base] as JsonSchema;
    for (const [, subtype] of d.mapping) {
      const schema = defs[subtype];
      if (!schema || !Array.isArray(schema.allOf)) continue;
      defs[subtype] = {
        ...schema,
        allOf: (schema.allOf as JsonSchema[]).map((member) =>
          member.$ref === `${id}#/$defs/${base}` ? { ...member, $ref: `${id}#/$defs/${base}__plain` } : member,
        ),
      };
    }
  }
}

/** The contract's component schemas, for responses: refs point inside `contract.json`. */
export function looseDefinitions(contract: Contract): JsonSchema {
  const defs = mapRefs(contract.schemas, LOOSE_ID) as Record<string, JsonSchema>;
  const bases = discriminatorsOf(contract);
  withPlainBases(defs, bases, LOOSE_ID);
  for (const [base, d] of bases) {
    // Serializers pick the subtype by the property's value; an unknown value keeps the base's fields.
    let chain: JsonSchema = { $ref: `${LOOSE_ID}#/$defs/${base}__plain` };
    for (const [value, subtype] of [...d.mapping].reverse()) {
      chain = {
        type: 'object',
        ...conditional(
          { type: 'object', properties: { [d.property]: { const: value } }, required: [d.property] },
          { $ref: `${LOOSE_ID}#/$defs/${subtype}` },
          chain,
        ),
      };
    }
    defs[base] = chain;
  }
  return { $id: LOOSE_ID, $defs: defs };
}

/**
 * The same schemas for requests, where unknown fields are refused: every object that lists its
 * properties gets `unevaluatedProperties: false`. A schema used as an `allOf` member (a base type
 * extended by a subtype) must stay open, so such members are referenced through an `…__open` copy
 * and the flag sits on the composing schema instead, where it sees the properties of every member.
 */
export function strictDefinitions(contract: Contract): JsonSchema {
  const defs = mapRefs(contract.schemas, STRICT_ID) as Record<string, JsonSchema>;
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(defs)) {
    out[name] = strictify(schema, true) as JsonSchema;
    out[`${name}__open`] = strictify(schema, false) as JsonSchema;
  }
  for (const [base, d] of discriminatorsOf(contract)) {
    // A known value must satisfy its subtype (closed); an unknown one is left to the domain, which
    // refuses it naming the value rather than the first field the base does not know.
    const known = d.mapping.map(([value]) => value);
    out[base] = {
      type: 'object',
      required: [d.property],
      properties: { [d.property]: { type: 'string' } },
      ...conditional(
        { properties: { [d.property]: { enum: known } } },
        {
          allOf: d.mapping.map(([value, subtype]) =>
            conditional({ properties: { [d.property]: { const: value } } }, { $ref: `${STRICT_ID}#/$defs/${subtype}` }),
          ),
          unevaluatedProperties: false,
        },
      ),
    };
  }
  return { $id: STRICT_ID, $defs: out };
}

function isObjectSchema(node: Record<string, unknown>): boolean {
  return (
    node.properties !== undefined &&
    node.additionalProperties === undefined &&
    node.unevaluatedProperties === undefined &&
    (node.type === undefined || node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object')))
  );
}

/** Recursively closes objects; `closeHere` is false for the top level of an allOf member. */
export function strictify(node: Node, closeHere = true): Node {
  if (Array.isArray(node)) return node.map((n) => strictify(n));
  if (!node || typeof node !== 'object') return node;
  const source = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'allOf' && Array.isArray(value)) {
      out.allOf = value.map((member) => openMember(member));
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictify(v)]));
    } else if (key === '$defs' || key === 'required' || key === 'enum' || key === 'const' || key === 'default') {
      out[key] = value;
    } else {
      out[key] = strictify(value);
    }
  }
  if (closeHere && (isObjectSchema(source) || Array.isArray(source.allOf))) out.unevaluatedProperties = false;
  return out;
}

function openMember(member: Node): Node {
  if (!member || typeof member !== 'object') return member;
  const m = member as Record<string, unknown>;
  if (typeof m.$ref === 'string' && m.$ref.startsWith(`${STRICT_ID}#/$defs/`)) {
    return { ...m, $ref: `${m.$ref}__open` };
  }
  return strictify(member, false);
}

export function toStrictRef(schema: JsonSchema): JsonSchema {
  return strictify(mapRefs(schema, STRICT_ID)) as JsonSchema;
}

export function toLooseRef(schema: JsonSchema): JsonSchema {
  return mapRefs(schema, LOOSE_ID) as JsonSchema;
}

const UINT32_MAX = 4_294_967_295;

function addContractFormats(ajv: Ajv2020): void {
  addFormats.default(ajv, { mode: 'fast' });
  ajv.addFormat('uint32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= UINT32_MAX,
  });
  ajv.addFormat('uint64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) && n >= 0 });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('password', true);
}

export interface SchemaCompiler {
  /** Body validator for JSON bodies: no coercion, unknown fields refused. */
  body(schema: JsonSchema): ValidateFunction;
  /** Validator for path, query and form-encoded input, where every value arrives as a string. */
  coercing(schema: JsonSchema): ValidateFunction;
  serializer(schema: JsonSchema): (data: unknown) => string;
}

export function createSchemaCompiler(contract: Contract): SchemaCompiler {
  const strict = strictDefinitions(contract);
  const loose = looseDefinitions(contract);
  const make = (coerceTypes: false | 'array') => {
    const ajv = new Ajv2020({
      strict: false,
      allErrors: false,
      coerceTypes,
      useDefaults: coerceTypes !== false,
      unicodeRegExp: false,
      validateFormats: true,
      discriminator: false,
      // Contract patterns run on input before authorization: a linear-time engine, never backtracking.
      code: { regExp: ajvLinearRegExp },
    });
    addContractFormats(ajv);
    ajv.addSchema(strict);
    return ajv;
  };
  const plain = make(false);
  const coercing = make('array');
  return {
    body: (schema) => plain.compile(schema),
    coercing: (schema) => coercing.compile(schema),
    serializer: (schema) =>
      fastJson(schema as unknown as Parameters<typeof fastJson>[0], {
        schema: { [LOOSE_ID]: loose as unknown as Parameters<typeof fastJson>[0] },
        ajv: { strict: false },
      }),
  };
}

/** Human text naming the field and the problem, from Ajv's first error. */
export function describeValidationError(location: string, error: ErrorObject): string {
  const path = `${location}${error.instancePath.replace(/\//g, '.')}`;
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${path}: missing required field '${p.missingProperty}'`;
    case 'additionalProperties':
      return `${path}: unknown ${location === 'query' ? 'parameter' : 'field'} '${p.additionalProperty}'`;
    case 'unevaluatedProperties':
      return `${path}: unknown field '${p.unevaluatedProperty}'`;
    case 'type':
      return `${path}: must be ${p.type}`;
    case 'enum':
      return `${path}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${path}: does not match the pattern ${p.pattern}`;
    case 'format':
      return `${path}: must be a valid ${p.format}`;
    default:
      return `${path}: ${error.message ?? 'is invalid'}`;
  }
}
