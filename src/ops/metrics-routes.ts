/** @module GET /metrics in the Prometheus text format, from the runtime's own registry. */
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../metrics/index.js';

export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics }> = async (app, { metrics }) => {
  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};
