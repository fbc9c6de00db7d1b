import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { StreamEvent, StreamOptions } from './operation.js';

/**
 * Server-sent events for operations declared `respond: 'stream'` (build logs, job progress): the
 * handler returns an async iterable of events and the registrar hands it here, once the permission is
 * checked and with no transaction open. This file owns everything that makes a long response safe:
 * heartbeats, back-pressure, a bound on what a slow client costs, disconnects and shutdown.
 */
export const STREAM_DEFAULTS: Required<StreamOptions> = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
  stallMs: 30_000,
  shutdownGraceMs: 2_000,
};

const HEARTBEAT = ': keep-alive\n\n';
const LINE_BREAK = /\r\n|\r|\n/;

/** One event in the text/event-stream format; ids and names lose any line break (they end a field). */
export function formatEvent(event: StreamEvent): string {
  let out = '';
  if (event.id !== undefined) out += `id: ${event.id.replace(/[\r\n]/g, '')}\n`;
  if (event.event !== undefined) out += `event: ${event.event.replace(/[\r\n]/g, '')}\n`;
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data ?? null);
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

export type StreamEnd = 'done' | 'client' | 'overflow' | 'stall' | 'shutdown' | 'error';

interface OpenStream {
  end(reason: StreamEnd): void;
  shutdownGraceMs: number;
}

/** The streams open in this process, so that shutdown can end them. */
export class StreamHub {
  private readonly open = new Set<OpenStream>();

  get size(): number {
    return this.open.size;
  }

  add(stream: OpenStream): () => void {
    this.open.add(stream);
    return () => this.open.delete(stream);
  }

  /**
   * Lets each open stream go on for its grace period (a build about to finish sends its last lines),
   * then ends it; clients reconnect elsewhere with Last-Event-ID. Resolves once all have ended.
   */
  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.open].map(
        (stream) =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              stream.end('shutdown');
              resolve();
            }, stream.shutdownGraceMs).unref();
          }),
      ),
    );
  }
}

/**
 * Sends `source` as text/event-stream on a hijacked reply and resolves when the stream is over, for
 * whatever reason: the source ended (or threw), the client went away, the client read too slowly
 * (more than `maxBufferedBytes` waiting, or nothing read for `stallMs`), or the server shuts down.
 * `abort` is called on every end, so a source waiting for events it will never get is released.
 */
export async function sendStream(
  reply: FastifyReply,
  source: AsyncIterable<StreamEvent>,
  options: StreamOptions,
  hub: StreamHub,
  abort: () => void,
  log?: FastifyBaseLogger,
): Promise<StreamEnd> {
  const limits = { ...STREAM_DEFAULTS, ...options };
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // Proxies that buffer responses (nginx) would hold the events back.
    'x-accel-buffering': 'no',
    // The connection ends with the stream: nothing waits on it for reuse at shutdown.
    connection: 'close',
  });
  res.flushHeaders();

  const iterator = source[Symbol.asyncIterator]();
  let ended: StreamEnd | undefined;
  // What the loop is waiting for (the next event, or a drain), released early when the stream ends.
  let release: (() => void) | undefined;
  const end = (reason: StreamEnd) => {
    if (ended) return;
    ended = reason;
    clearInterval(heartbeat);
    forget();
    abort();
    // A generator suspended on its own await finishes its `return` later: never wait for it here.
    iterator.return?.()?.catch(() => {});
    // Only a stream that ends normally ends its response; a client gone or too slow loses the socket.
    if (reason === 'done' || reason === 'shutdown') res.end();
    else res.destroy();
    release?.();
  };
  const forget = hub.add({ end, shutdownGraceMs: limits.shutdownGraceMs });
  res.on('close', () => end('client'));
  const heartbeat = setInterval(() => {
    // A client that is not reading gets nothing more queued, not even a comment.
    if (!res.writableNeedDrain) res.write(HEARTBEAT);
  }, limits.heartbeatMs);
  heartbeat.unref();

  const nextEvent = () =>
    new Promise<IteratorResult<StreamEvent> | undefined>((resolve, reject) => {
      release = () => resolve(undefined);
      iterator.next().then(resolve, reject);
    });
  /** True once the response has drained; false after `stallMs` without the client reading anything. */
  const drained = () =>
    new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        res.off('drain', onDrain);
        resolve(ok);
      };
      const onDrain = () => finish(true);
      const timer = setTimeout(() => finish(false), limits.stallMs);
      res.on('drain', onDrain);
      release = () => finish(true);
    });

  try {
    while (!ended) {
      const step = await nextEvent();
      if (ended || !step) break;
      if (step.done) {
        end('done');
        break;
      }
      if (res.write(formatEvent(step.value))) continue;
      if (res.writableLength > limits.maxBufferedBytes) end('overflow');
      else if (!(await drained())) end('stall');
    }
  } catch (error) {
    log?.error({ err: error }, 'an event stream failed');
    end('error');
  }
  return ended ?? 'done';
}

/**
 * An async iterable fed by callbacks (a notification channel, a child process's output): `push` adds
 * an event, `close` ends the iteration once the queue is read. Ends at once when `signal` aborts (the
 * stream is over), so a subscriber can unsubscribe there. At most `max` events wait: a producer faster
 * than the stream ends it with an error instead of growing memory.
 */
export function pushStream<T>(
  signal: AbortSignal,
  max = 10_000,
): AsyncIterable<T> & { push(value: T): void; close(): void } {
  const queue: T[] = [];
  let closed = false;
  let failure: Error | undefined;
  let waiting: (() => void) | undefined;
  const notify = () => {
    waiting?.();
    waiting = undefined;
  };
  signal.addEventListener('abort', () => {
    closed = true;
    queue.length = 0;
    notify();
  });
  return {
    push(value) {
      if (closed) return;
      if (queue.length >= max) {
        failure = new Error(`more than ${max} events waiting to be sent`);
        closed = true;
      } else queue.push(value);
      notify();
    },
    close() {
      closed = true;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      while (true) {
        if (queue.length > 0) {
          yield queue.shift() as T;
          continue;
        }
        if (failure) throw failure;
        if (closed || signal.aborted) return;
        await new Promise<void>((resolve) => {
          waiting = resolve;
        });
      }
    },
  };
}
