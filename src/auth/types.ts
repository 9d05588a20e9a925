/**
 * @module Shapes shared inside the auth room. The access policy and access event are the fhir
 * room's (CONTRACTS §3): auth implements them, the fhir handlers consult them.
 */
import type { Bundle, Resource } from 'fhir/r4.js';
import type { AccessPolicy } from '../fhir/index.js';

export type { AccessEvent, AccessPolicy, FhirInteraction } from '../fhir/index.js';

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
  createMany<T extends Resource>(resources: readonly T[], o?: { source?: { kind: 'system' | 'rest'; clientId?: string }; changeFeed?: boolean }): Promise<T[]>;
  purge(type: string, id: string): Promise<void>;
}
