import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { STREAM_LIMITS, streamProbe, testContract, testModule } from './http-test-operations.js';

const app = { contract: testContract(), extraModules: () => [testModule()] };

/** Reads an event stream until `done(text)` holds or it ends; returns what was read. */
async function readUntil(response: Response, done: (text: string) => boolean): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) return text;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text;
}

const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('event streams (respond: stream)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { app });
  });
  after(async () => {
    // fetch reconnects after a cancelled stream and then sends nothing; Node's close waits for such a
    // socket until the client drops it. Every stream has ended by now.
    server.app.server.closeAllConnections();
    await server.close();
  });
  beforeEach(() => {
    Object.assign(streamProbe, { produced: 0, finished: 0, aborted: 0 });
  });

  it('sends the events in order as text/event-stream, then ends', async () => {
    const res = await fetch(`${server.url}/test/events?count=200`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.ok(res.headers.get('x-request-id'), 'the usual headers are kept');
    const text = await readUntil(res, () => false);
    assert.deepEqual(
      ids(text),
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.match(text, /^id: 0\nevent: n\ndata: \{"i":0,"padding":"x"\}\n\n/);
    assert.equal(streamProbe.finished, 1);
    const head = await fetch(`${server.url}/test/events?forever=true`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/event-stream/);
  });

  it('resumes after Last-Event-ID, and validates its input like any operation', async () => {
    const res = await fetch(`${server.url}/test/events?count=10`, { headers: { 'last-event-id': '6' } });
    assert.deepEqual(ids(await readUntil(res, () => false)), [7, 8, 9]);
    const bad = await fetch(`${server.url}/test/events?count=-1`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as any).errors[0].message, /count/);
    const long = await fetch(`${server.url}/test/events`, { headers: { 'last-event-id': 'x'.repeat(300) } });
    assert.equal(long.status, 400);
  });

  it('sends heartbeat comments while there is nothing to say', async () => {
    const res = await fetch(`${server.url}/test/events?count=0&forever=false`);
    await readUntil(res, () => false);
    const idle = await fetch(`${server.url}/test/events?count=1&forever=true&size=1`);
    // The forever source produces constantly; a heartbeat still arrives in between within a few periods.
    const text = await readUntil(idle, (t) => t.includes(': keep-alive'));
    assert.match(text, /: keep-alive\n\n/);
    await eventually(() => streamProbe.aborted === 1, 'the stream was released');
  });

  it('a client that disconnects stops the source and releases the stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/test/events?forever=true`, { signal: controller.signal });
    await readUntil(res, (t) => ids(t).length >= 30).catch(() => '');
    controller.abort();
    await eventually(() => streamProbe.aborted === 1, 'the source was told to stop');
    const produced = streamProbe.produced;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(streamProbe.produced, produced, 'nothing is produced once the client is gone');
  });

  it('a client that never reads is cut off, with what it costs bounded', async () => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    socket.write('GET /test/events?forever=true&size=20000 HTTP/1.1\r\nHost: x\r\n\r\n');
    const closed = new Promise((r) => socket.once('close', r));
    const started = Date.now();
    await eventually(() => streamProbe.aborted === 1, 'the stream was ended', 20_000);
    const elapsed = Date.now() - started;
    // Each event is ~20 kB: what was produced is what the kernel's socket buffers and one event held.
    assert.ok(streamProbe.produced * 20_000 < 64 * 1024 * 1024, `${streamProbe.produced} events produced`);
    assert.ok(elapsed < 15_000, `cut off after ${elapsed} ms (stall limit ${STREAM_LIMITS.stallMs} ms)`);
    socket.destroy();
    await closed;
  });
});

describe('event streams at shutdown', () => {
  it('end after their grace period, and the server closes', async () => {
    const server = await startServer('sqlite', { app });
    Object.assign(streamProbe, { produced: 0, finished: 0, aborted: 0 });
    const res = await fetch(`${server.url}/test/events?forever=true`);
    const reading = readUntil(res, () => false);
    await eventually(() => streamProbe.produced > 0, 'the stream runs');
    const started = Date.now();
    await server.close();
    const text = await reading;
    assert.ok(ids(text).length > 0);
    assert.ok(Date.now() - started >= (STREAM_LIMITS.shutdownGraceMs as number) - 20, 'the grace period was given');
    assert.equal(streamProbe.aborted, 1);
  });
});
