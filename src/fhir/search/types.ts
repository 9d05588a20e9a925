/** @module The search room's public shapes (CONTRACTS §2). */
import type { Resource } from 'fhir/r4.js';

/** Interactions a policy is asked about (same union as the store's `FhirInteraction`). */
export type SearchInteraction = 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'delete' | 'operation';

/**
 * Structurally the store's `AccessPolicy` (CONTRACTS §3); declared here so the search room does not
 * import the store's index (which re-exports this room).
 */
export interface SearchAccessPolicy {
  clientId?: string;
  isAdmin: boolean;
  can(interaction: SearchInteraction, resourceType: string, resource?: Resource): boolean;
}

export interface SearchRequest {
  /** Absent for a system-level search (`GET /fhir?_type=...`). */
  resourceType?: string;
  params: URLSearchParams;
  /** e.g. `http://host/fhir` — used for fullUrl, links and absolute references. */
  baseUrl: string;
  /** `Prefer: handling=` — lenient (default) warns about unknown parameters, strict rejects them. */
  handling?: 'strict' | 'lenient';
  /** Upper bound for `_count` (default 1000). */
  maxCount?: number;
  /** Entries (matches and includes) the policy refuses are dropped. */
  access?: SearchAccessPolicy;
}
