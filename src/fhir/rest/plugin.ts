/** @module The fastify adapter for the FHIR REST API (handlers in rest/handlers are framework-free). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessEvent, AccessPolicy, FhirStore } from '../types.js';

export interface FhirRoutesOptions {
  store: FhirStore;
  /** e.g. `http://host:port/fhir`; derived from the request when absent. */
  baseUrl?: string;
  /** Auth supplies; default allow-all when auth is off. */
  policyFor(request: FastifyRequest): AccessPolicy;
  /** Auth's audit writer; called once per request. */
  onAccess?(event: AccessEvent): void;
}

export async function fhirRoutes(_app: FastifyInstance, _options: FhirRoutesOptions): Promise<void> {
  // routes land in the next commit
}
