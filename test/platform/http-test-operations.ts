import { createHash } from 'node:crypto';
import { loadContract, withExtensions } from '../../src/platform/http/contract.js';
import { EXTENSIONS_TAG } from '../../src/platform/http/extensions.js';
import type { StreamEvent, StreamOptions } from '../../src/platform/http/operation.js';
import { untypedOperations } from '../../src/platform/http/operation.js';
import { pushStream } from '../../src/platform/http/stream.js';
import type { Module } from '../../src/platform/module.js';

/**
 * Test-only extension operations, one per request or response option of the operation table, added to
 * the contract the way openapi/extensions.json is, and the module implementing them.
 */

const ERROR = { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorPayload' } } } };
const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });
const envelope = (data: Record<string, unknown>) => ({
  description: 'OK',
  ...json({ type: 'object', required: ['data'], properties: { data } }),
});
const Note = {
  type: 'object',
  required: ['text'],
  properties: { text: { type: 'string', maxLength: 1000 } },
};

function operation(operationId: string, extra: Record<string, unknown>) {
  return {
    tags: [EXTENSIONS_TAG],
    operationId,
    security: [],
    ...extra,
    responses: { ...(extra.responses as object), default: { description: 'error', ...ERROR } },
  };
}

export const TEST_EXTENSIONS = {
  openapi: '3.1.0',
  info: { title: 'test', version: '1' },
  paths: {
    '/test/notes': {
      post: operation('testSmallBody', {
        requestBody: { required: true, ...json({ $ref: '#/components/schemas/TestNote' }) },
        responses: { '200': envelope({ $ref: '#/components/schemas/TestNote' }) },
      }),
    },
    '/test/checksum': {
      put: operation('testChecksum', {
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/TestNote' } },
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          '200': envelope({
            type: 'object',
            properties: { sha256: { type: 'string' }, kind: { type: 'string' }, size: { type: 'integer' } },
          }),
        },
      }),
    },
    '/test/raw': {
      get: operation('testRaw', {
        parameters: [{ name: 'empty', in: 'query', required: false, schema: { type: 'boolean' } }],
        responses: {
          '200': { description: 'bytes', content: { 'application/octet-stream': { schema: { type: 'string' } } } },
          '204': { description: 'nothing' },
        },
      }),
    },
    '/test/redirect': {
      get: operation('testRedirect', { responses: { '302': { description: 'elsewhere' } } }),
    },
    '/test/lock': {
      additionalOperations: {
        LOCK: operation('testLock', {
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/TestNote' }) },
          responses: { '200': envelope({ $ref: '#/components/schemas/TestNote' }) },
        }),
        UNLOCK: operation('testUnlock', { responses: { '204': { description: 'unlocked' } } }),
      },
    },
    '/test/events': {
      get: operation('testEvents', {
        parameters: [
          { name: 'count', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 100000 } },
          { name: 'size', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000000 } },
          { name: 'forever', in: 'query', required: false, schema: { type: 'boolean' } },
        ],
        responses: {
          '200': { description: 'events', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        },
      }),
    },
  },
  components: { schemas: { TestNote: Note } },
};

export function testContract() {
  return withExtensions(loadContract(), TEST_EXTENSIONS);
}

/** What the event source saw, for the tests to check (sources that ended, events produced). */
export const streamProbe = { produced: 0, finished: 0, aborted: 0 };

export const STREAM_LIMITS: StreamOptions = {
  heartbeatMs: 100,
  stallMs: 500,
  maxBufferedBytes: 256 * 1024,
  shutdownGraceMs: 200,
};

/** Numbered events from `Last-Event-ID + 1`; `forever` keeps producing (every 5 ms) until the stream ends. */
function numbers(query: Record<string, any>, lastEventId: string | undefined, signal: AbortSignal) {
  const start = lastEventId === undefined ? 0 : Number(lastEventId) + 1;
  const padding = 'x'.repeat(query.size ?? 1);
  const event = (i: number): StreamEvent => ({ id: String(i), event: 'n', data: { i, padding } });
  if (!query.forever) {
    return (async function* () {
      try {
        for (let i = start; i < (query.count ?? 10); i++) {
          streamProbe.produced++;
          yield event(i);
        }
      } finally {
        streamProbe.finished++;
      }
    })();
  }
  const source = pushStream<StreamEvent>(signal);
  let i = start;
  const timer = setInterval(() => {
    // A burst each tick, so a client that does not read falls behind quickly.
    for (let n = 0; n < 20; n++) {
      streamProbe.produced++;
      source.push(event(i++));
    }
  }, 5);
  signal.addEventListener('abort', () => {
    clearInterval(timer);
    streamProbe.aborted++;
    streamProbe.finished++;
  });
  return source;
}

export function testModule(): Module {
  return {
    name: 'http-test',
    operations: untypedOperations({
      testSmallBody: { bodyLimit: 100, handler: (ctx) => ctx.body },
      testChecksum: {
        rawBody: true,
        bodyTypes: ['application/octet-stream'],
        handler: (ctx) => ({
          sha256: createHash('sha256')
            .update(ctx.rawBody ?? Buffer.alloc(0))
            .digest('hex'),
          kind: Buffer.isBuffer(ctx.body) ? 'binary' : 'json',
          size: ctx.rawBody?.length ?? -1,
        }),
      },
      testRaw: {
        respond: 'raw',
        handler: (ctx) =>
          ctx.query.empty
            ? { body: '', status: 204 }
            : { body: Buffer.from([0, 1, 2, 255]), headers: { etag: '"v1"' } },
      },
      testRedirect: { respond: 'redirect', handler: () => ({ location: '/docs' }) },
      testLock: { handler: (ctx) => ctx.body },
      testUnlock: { handler: () => undefined },
      testEvents: {
        respond: 'stream',
        stream: STREAM_LIMITS,
        handler: (ctx) => numbers(ctx.query, ctx.lastEventId, ctx.signal as AbortSignal),
      },
    }),
  };
}
