/** @module Registers each room's HTTP surface under its prefix. */
import type { FastifyInstance } from 'fastify';
import { installAuth } from '../auth/index.js';
import { fhirRoutes } from '../fhir/index.js';
import { careplanRoutes } from '../careplans/index.js';
import { outboundAdminRoutes, subscriptionRoutes } from '../outbound/index.js';
import { DASHBOARD_PUBLIC_PATHS, dashboardRoutes, healthRoutes, metricsRoutes } from '../ops/index.js';
import { mappingRoutes } from '../mapping/index.js';
import { erasureHooks, type Runtime } from './runtime.js';

export async function registerRooms(app: FastifyInstance, runtime: Runtime): Promise<void> {
  // First: auth's hooks must see every route registered after it (default deny).
  // `auth.policyFor` / `auth.onAccess` are what the fhir plugin takes (FhirRoutesOptions).
  const auth = await installAuth(app, { runtime, store: runtime.store, extraPublicPaths: DASHBOARD_PUBLIC_PATHS, ...erasureHooks(runtime) });
  await app.register(fhirRoutes, { prefix: '/fhir', store: runtime.store, policyFor: auth.policyFor, onAccess: auth.onAccess });
  // PlanDefinition/$apply: a more specific route than the FHIR plugin's wildcard.
  await app.register(careplanRoutes, { service: runtime.careplans, policyFor: auth.policyFor, onAccess: auth.onAccess });
  await app.register(outboundAdminRoutes, { db: runtime.database.db, outbound: runtime.outbound });
  // Subscription/$status and $events: more specific than the FHIR plugin's wildcard.
  await app.register(subscriptionRoutes, { db: runtime.database.db, store: runtime.store, baseUrl: runtime.outbound.fhirBaseUrl, policyFor: auth.policyFor });
  await app.register(healthRoutes, {
    runtime,
    checks: [
      {
        // Ready once a good mapping set serves; a refused reload keeps the last good set (and is reported).
        name: 'mappings',
        check: async () => {
          const st = runtime.mappings.status();
          const problems = st.errors.slice(0, 3).map((e) => `${e.file}:${e.line}: ${e.reason}`).join('; ');
          return { ok: st.loadedAt !== undefined, detail: st.loadedAt ? (problems ? `serving the last good set; refused: ${problems}` : `${st.messageMaps.length} message maps`) : `not loaded: ${problems || 'no mapping set'}` };
        },
      },
    ],
  });
  await app.register(metricsRoutes, { metrics: runtime.metrics });
  await app.register(dashboardRoutes);
  await app.register(mappingRoutes, { registry: runtime.mappings, db: runtime.database.db });
  await app.register(runtime.hl7v2.httpRoutes, { ...runtime.hl7v2.httpRoutesOptions, requireClientCertificate: Boolean(runtime.config.http.tls?.caFile) });
  await app.register(runtime.hl7v2.adminRoutes, {
    ...runtime.hl7v2.adminRoutesOptions,
    // Revealing a message's patient data is an access of its own in the audit trail.
    onReveal: (request, inboxId) =>
      auth.onAccess({ interaction: 'admin', id: `inbox/${inboxId}`, query: 'reveal=true', status: 200, clientId: request.principal?.clientId, ip: request.ip }),
  });
}
