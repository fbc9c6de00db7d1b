import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import pino, { type Logger, type LoggerOptions, stdSerializers } from 'pino';
import type { Config } from '../config.js';
import { redactUrl } from './http/tokens.js';

/** Fields that may hold tokens or secrets anywhere in a log line; pino replaces their values. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.api_key',
  '*.access_token',
  '*.raw',
  'password',
  'token',
  'secret',
];

export function loggerOptions(config: Pick<Config, 'logLevel' | 'logPretty'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), request_id: req.id }),
      err: stdSerializers.err,
    },
    ...(config.logPretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } }
      : {}),
  };
}

/** How long a log line may wait in the buffer when traffic is too light to fill it. */
const FLUSH_INTERVAL_MS = 200;
let stdoutDestination: ReturnType<typeof pino.destination> | undefined;

/**
 * Standard output, buffered: a busy server writes its log lines in 8 KiB chunks instead of one
 * blocking write per line (a sixth of a small request's cost when measured). Lines wait at most
 * FLUSH_INTERVAL_MS, and whatever is buffered is written synchronously when the process exits.
 */
function bufferedStdout() {
  if (!stdoutDestination) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 8192 });
    setInterval(() => {
      // sonic-boom keeps the buffered length in `_len`; without it (another version), flush anyway.
      const buffered = (destination as unknown as { _len?: number })._len;
      if (buffered === undefined || buffered > 0) destination.flush();
    }, FLUSH_INTERVAL_MS).unref();
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // Nothing left to do with a closed standard output.
      }
    });
    stdoutDestination = destination;
  }
  return stdoutDestination;
}

/** Request lines handed to standard output at once, past this many characters. */
const LINE_BATCH = 16_384;

/**
 * Request lines gathered here and handed to the buffered standard output 16 KiB at a time: each call
 * into the stream costs several times the line's own composition, so one call per hundred lines takes
 * that cost off every request. Lines wait at most FLUSH_INTERVAL_MS here, and are written when the
 * process exits.
 */
let stdoutLines: ((line: string) => void) | undefined;
function batchedStdoutLines(): (line: string) => void {
  stdoutLines ??= batchLines(bufferedStdout());
  return stdoutLines;
}

/** Lines gathered and written to `out` LINE_BATCH characters at a time (exported for the benchmark). */
export function batchLines(out: ReturnType<typeof pino.destination>): (line: string) => void {
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    out.write(pending);
    pending = '';
  };
  setInterval(flush, FLUSH_INTERVAL_MS).unref();
  process.once('exit', () => {
    flush();
    try {
      out.flushSync();
    } catch {
      // Nothing left to do with a closed standard output.
    }
  });
  return (line) => {
    pending += line;
    if (pending.length >= LINE_BATCH) flush();
  };
}

/** The application's logger: to `destination` when given (tests), otherwise standard output. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logPretty'>, destination?: Writable): Logger {
  if (destination) return pino(loggerOptions({ ...config, logPretty: false }), destination);
  if (config.logPretty) return pino(loggerOptions(config));
  return pino(loggerOptions(config), bufferedStdout());
}

/**
 * The one-line-per-request logger: the same destination and level, without redaction, since every
 * field of that line is shaped here (method, the URL with tokens redacted, request id, status, time).
 * Redaction's path walk was three quarters of a request line's cost.
 */
export function createRequestLogger(config: Pick<Config, 'logLevel' | 'logPretty'>, destination?: Writable): Logger {
  const { redact: _redact, ...options } = loggerOptions(destination ? { ...config, logPretty: false } : config);
  if (destination) return pino(options, destination);
  if (config.logPretty) return pino(options);
  return pino(options, bufferedStdout());
}

/** Writes the one line per request: method, URL (tokens redacted), request id, status, milliseconds. */
export type RequestLine = (request: Pick<FastifyRequest, 'method' | 'url' | 'id'>, status: number, ms: number) => void;

/**
 * The request line at `info`, written as pino writes it (same fields, same order) but composed here:
 * pino's generic path (serializers, child bindings, level checks) cost five times the line itself on
 * the hot path of every request. Pretty output (development) still goes through pino. Undefined when
 * the level is above `info`: nothing is written per request.
 */
export function createRequestLine(
  config: Pick<Config, 'logLevel' | 'logPretty'>,
  destination?: Writable | ((line: string) => void),
): RequestLine | undefined {
  if (!['info', 'debug', 'trace'].includes(config.logLevel)) return undefined;
  if (config.logPretty && destination === undefined) {
    const logger = createRequestLogger(config);
    return (request, status, ms) => logger.info({ req: request, status, ms }, 'request');
  }
  const write =
    typeof destination === 'function'
      ? destination
      : destination
        ? (line: string) => destination.write(line)
        : batchedStdoutLines();
  const bindings = `"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
  return (request, status, ms) => {
    write(
      `{"level":30,"time":${Date.now()},${bindings},"req":{"method":${JSON.stringify(request.method)},"url":${JSON.stringify(redactUrl(request.url))},"request_id":${JSON.stringify(request.id)}},"status":${status},"ms":${ms},"msg":"request"}\n`,
    );
  };
}
