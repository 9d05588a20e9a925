/**
 * @module Shapes shared inside the auth room. `FhirInteraction`, `AccessPolicy` and `AccessEvent`
 * follow CONTRACTS §3 (defined by the fhir room); they are restated structurally here so auth
 * does not depend on the fhir room's internals and both stay assignable to each other.
 */
import type { Bundle, Resource } from 'fhir/r4.js';

export type FhirInteraction = 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'delete' | 'operation';

export interface AccessPolicy {
  clientId?: string;
  isAdmin: boolean;
  can(interaction: FhirInteraction, resourceType: string, resource?: Resource): boolean;
}

export interface AccessEvent {
  interaction: FhirInteraction | 'export' | 'erase' | 'login' | 'admin';
  resourceType?: string;
  id?: string;
  query?: string;
  status: number;
  clientId?: string;
  ip?: string;
}

/** Who is calling: resolved once per request by the onRequest hook. */
export interface Principal {
  readonly clientId: string;
  /** How the caller proved itself. */
  readonly method: 'admin-token' | 'api-key' | 'access-token' | 'auth-off';
  readonly scopes: readonly string[];
  readonly policy: AccessPolicy;
}

/** The part of the fhir room's FhirStore (CONTRACTS §1) that auth uses. */
export interface AuthStore {
  read<T extends Resource>(type: string, id: string): Promise<T>;
  readOrUndefined<T extends Resource>(type: string, id: string): Promise<T | undefined>;
  search(type: string | undefined, params: URLSearchParams, o?: unknown): Promise<Bundle>;
  transaction(bundle: Bundle, o?: { source?: { kind: 'system' | 'rest'; clientId?: string } }): Promise<Bundle>;
  purge(type: string, id: string): Promise<void>;
}
