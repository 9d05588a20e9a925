/** @module Registers each room's HTTP surface under its prefix. */
import type { FastifyInstance } from 'fastify';
import { installAuth } from '../auth/index.js';
import { DASHBOARD_PUBLIC_PATHS, dashboardRoutes, healthRoutes, metricsRoutes } from '../ops/index.js';
import type { Runtime } from './runtime.js';

export async function registerRooms(app: FastifyInstance, runtime: Runtime): Promise<void> {
  // First: auth's hooks must see every route registered after it (default deny).
  // `auth.policyFor` / `auth.onAccess` are what the fhir plugin takes (FhirRoutesOptions).
  const auth = await installAuth(app, { runtime, store: runtime.store, extraPublicPaths: DASHBOARD_PUBLIC_PATHS });
  void auth;
  await app.register(healthRoutes, { runtime });
  await app.register(metricsRoutes, { metrics: runtime.metrics });
  await app.register(dashboardRoutes);
}
