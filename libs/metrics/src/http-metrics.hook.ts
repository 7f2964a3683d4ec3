import type { FastifyInstance } from 'fastify';
import { MetricsRegistry } from './metrics-registry';

/** Times every request; labels use the route template (not the raw URL) to keep cardinality bounded. */
export function installHttpMetrics(fastify: FastifyInstance, metrics: MetricsRegistry): void {
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
