/** @module Building responses for one resource: ETag, Last-Modified, Location, and Prefer: return=. */
import type { Resource } from 'fhir/r4.js';
import { informationOutcome } from '../../errors/index.js';
import { parsePrefer } from './prefer.js';
import type { FhirRequest, FhirResponse } from './types.js';

export function versionHeaders(resource: Resource): Record<string, string> {
  const h: Record<string, string> = {};
  if (resource.meta?.versionId) h.etag = `W/"${resource.meta.versionId}"`;
  if (resource.meta?.lastUpdated) h['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  return h;
}

export function locationOf(req: FhirRequest, resource: Resource): string {
  return `${req.baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId ?? '1'}`;
}

/** A read-style answer: the resource with its version headers. */
export function resourceResponse(resource: Resource, status = 200): FhirResponse {
  return { status, body: resource, headers: versionHeaders(resource) };
}

/** A write's answer honouring `Prefer: return=minimal|representation|OperationOutcome`. */
export function writeResponse(req: FhirRequest, resource: Resource, status: number, message: string): FhirResponse {
  const headers = { ...versionHeaders(resource), location: locationOf(req, resource) };
  const prefer = parsePrefer(req.headers.prefer);
  if (prefer.return === 'minimal') return { status, headers };
  if (prefer.return === 'OperationOutcome') return { status, headers, body: informationOutcome(message) };
  return { status, headers, body: resource };
}
