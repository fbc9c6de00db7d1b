import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { safeEqual, sha256 } from '../crypto/hashing.js';
import { unauthorized } from '../errors.js';

/**
 * Prometheus metrics of one app instance: request rate, errors and latency per operationId. Returns
 * the per-request recorder, which the app calls from its single onResponse hook.
 */
export function installMetrics(
  app: FastifyInstance,
  token?: string,
): (request: FastifyRequest, reply: FastifyReply) => void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gantry_' });
  const requests = new Counter({
    name: 'gantry_http_requests_total',
    help: 'HTTP requests answered, by operation, method and status code',
    labelNames: ['operation', 'method', 'status'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gantry_http_errors_total',
    help: 'HTTP requests answered with a 5xx status, by operation',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'gantry_http_request_duration_seconds',
    help: 'Time to answer a request, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // Labelled children are looked up once per label set: hashing labels on every request shows in profiles.
  const counters = new Map<string, Counter.Internal>();
  const timers = new Map<string, Histogram.Internal<'operation'>>();

  const record = (request: FastifyRequest, reply: FastifyReply) => {
    const operation =
      (request.routeOptions.config as { operationId?: string }).operationId ??
      (request.routeOptions.url ? 'other' : 'not_found');
    const status = reply.statusCode;
    const key = `${operation} ${request.method} ${status}`;
    let counter = counters.get(key);
    if (!counter) {
      counter = requests.labels(operation, request.method, String(status));
      counters.set(key, counter);
    }
    counter.inc();
    if (status >= 500) errors.inc({ operation });
    let timer = timers.get(operation);
    if (!timer) {
      timer = latency.labels(operation);
      timers.set(operation, timer);
    }
    timer.observe(reply.elapsedTime / 1000);
  };

  const expected = token ? sha256(`Bearer ${token}`) : undefined;
  app.get('/metrics', async (request, reply) => {
    if (expected && !safeEqual(sha256(request.headers.authorization ?? ''), expected)) {
      throw unauthorized('GET /metrics needs "Authorization: Bearer <GANTRY_METRICS_TOKEN>"');
    }
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return record;
}
