/** @module Framework-free request/response shapes of the FHIR REST handlers. */
import type { Resource } from 'fhir/r4.js';
import type { AccessPolicy, FhirInteraction, FhirStore } from '../types.js';

export type FhirMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

export interface FhirRequest {
  readonly method: FhirMethod;
  /** Path segments after the /fhir prefix, decoded: `['Patient', '123', '_history', '2']`. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
  readonly body?: unknown;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** e.g. `http://127.0.0.1:8080/fhir`. */
  readonly baseUrl: string;
  readonly access: AccessPolicy;
}

/** What the audit record of the request says (filled by the handler that ran). */
export interface FhirAudit {
  interaction: FhirInteraction;
  resourceType?: string;
  id?: string;
  query?: string;
}

export interface FhirResponse {
  readonly status: number;
  readonly body?: Resource;
  readonly headers?: Readonly<Record<string, string>>;
}

export type FhirHandler = (req: FhirRequest, store: FhirStore, audit: FhirAudit) => Promise<FhirResponse>;
