/** @module Registers each room's HTTP surface under its prefix. */
import type { FastifyInstance } from 'fastify';
import { dashboardRoutes, healthRoutes, metricsRoutes } from '../ops/index.js';
import type { Runtime } from './runtime.js';

export async function registerRooms(app: FastifyInstance, runtime: Runtime): Promise<void> {
  await app.register(healthRoutes, { runtime });
  await app.register(metricsRoutes, { metrics: runtime.metrics });
  await app.register(dashboardRoutes);
}
