import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one app instance: request rate, errors and latency per operationId. */
export function installMetrics(app: FastifyInstance): Registry {
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

  app.addHook('onResponse', (request, reply, done) => {
    const operation =
      (request.routeOptions.config as { operationId?: string }).operationId ??
      (request.routeOptions.url ? 'other' : 'not_found');
    const status = reply.statusCode;
    requests.inc({ operation, method: request.method, status });
    if (status >= 500) errors.inc({ operation });
    latency.observe({ operation }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
