import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadContract } from '../../src/platform/http/contract.js';
import { compileOperation } from '../../src/platform/http/registrar.js';
import { createSchemaCompiler } from '../../src/platform/http/schemas.js';
import { startServer, type TestServer, testEngines } from '../helpers/server.js';

const contract = loadContract();
const errorPayload = new Ajv2020({ strict: false }).compile({
  type: 'object',
  required: ['errors', 'request_id'],
  additionalProperties: false,
  properties: {
    request_id: { type: 'string', minLength: 1 },
    errors: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['code', 'message', 'details'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', pattern: '^[A-Z][A-Za-z]+$' },
          message: { type: 'string', minLength: 1 },
          details: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
});

/** A value that satisfies a path parameter's schema (so the request reaches validation of the rest). */
function validPathValue(schema: Record<string, any>): string {
  if (schema.type === 'integer' || schema.type === 'number') return '1';
  if (Array.isArray(schema.enum)) return String(schema.enum[0]);
  return 'sample-canonical';
}

function pathFor(op: (typeof contract.operations)[number], overrides: Record<string, string> = {}) {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (overrides[name] !== undefined) return overrides[name];
    const param = op.parameters.find((p) => p.in === 'path' && p.name === name);
    return encodeURIComponent(validPathValue(param?.schema ?? {}));
  });
}

function acceptsAnyJson(schema: Record<string, any>): boolean {
  const ref = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : undefined;
  const target = ref ? contract.schemas[ref] : schema;
  return Object.keys(target).every((key) => key === 'description' || key === 'title');
}

describe('contract', () => {
  it('has 269 operations with unique operationIds, and the extensions beside them', () => {
    const standard = contract.operations.filter((o) => !o.extension);
    assert.equal(standard.length, 269);
    assert.equal(new Set(contract.operations.map((o) => o.operationId)).size, contract.operations.length);
    for (const op of contract.operations.filter((o) => o.extension)) {
      assert.ok(op.tags.includes('Gantry extensions'), `${op.operationId} carries the extensions' tag`);
    }
  });

  it('compiles every request validator and response serializer', () => {
    const compiler = createSchemaCompiler(contract);
    for (const op of contract.operations) {
      assert.doesNotThrow(() => compileOperation(op, compiler).compileAll(), op.operationId);
    }
  });
});

for (const engine of testEngines()) {
  describe(`every operation is routed and refuses invalid input with a 4xx envelope (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());

    it('routes all 269 operations and the extensions (501 where not built yet)', async () => {
      const unrouted: string[] = [];
      for (const op of contract.operations) {
        const res = await server.request(op.method, pathFor(op));
        if (res.status === 404 && /^no route/.test(res.body?.errors?.[0]?.message ?? '')) unrouted.push(op.operationId);
        assert.ok(
          res.status < 500 || res.status === 501 || op.operationId === 'getServiceStatus',
          `${op.operationId}: ${res.status}`,
        );
        assert.ok(res.status < 300 || errorPayload(res.body), `${op.operationId}: bad error envelope ${res.text}`);
      }
      assert.deepEqual(unrouted, []);
    });

    it('answers an unknown query parameter with a 4xx and a valid error envelope', async () => {
      for (const op of contract.operations) {
        const res = await server.request(op.method, `${pathFor(op)}?sweep_unknown_parameter=1`);
        assert.ok(res.status >= 400 && res.status < 500, `${op.operationId}: ${res.status} ${res.text}`);
        assert.ok(errorPayload(res.body), `${op.operationId}: ${res.text}`);
      }
    });

    it('answers invalid bodies and path parameters with a 4xx, never a 500', async () => {
      const bodies: Array<{ raw: string; type: string }> = [
        { raw: '{"broken": ', type: 'application/json' },
        { raw: '[1,2,3]', type: 'application/json' },
        { raw: '{"sweep_unknown_field": true}', type: 'application/vnd.cycloid.io.v1+json' },
        { raw: 'plain text', type: 'text/plain' },
      ];
      for (const op of contract.operations) {
        if (op.requestBody) {
          // A body declared as "any JSON" (e.g. UserGuide) only has malformed JSON and media type to refuse.
          const open = acceptsAnyJson(op.requestBody.schema);
          for (const body of open ? [bodies[0], bodies[3]] : bodies) {
            const res = await server.request(op.method, pathFor(op), {
              raw: body.raw,
              headers: { 'content-type': body.type },
            });
            assert.ok(res.status >= 400 && res.status < 500, `${op.operationId} ${body.raw}: ${res.status}`);
            assert.ok(errorPayload(res.body), `${op.operationId}: ${res.text}`);
          }
        }
        const patterned = op.parameters.find(
          (p) => p.in === 'path' && (p.schema.pattern || p.schema.type === 'integer'),
        );
        if (patterned) {
          const res = await server.request(op.method, pathFor(op, { [patterned.name]: '%20!bad%20' }));
          assert.ok(res.status >= 400 && res.status < 500, `${op.operationId} bad ${patterned.name}: ${res.status}`);
          assert.ok(errorPayload(res.body), `${op.operationId}: ${res.text}`);
        }
      }
    });
  });
}
