/** @module Building transaction-response / batch-response entries, and GET entries of a bundle. */
import type { BundleEntry, BundleEntryResponse, FhirResource, Resource } from 'fhir/r4.js';
import { CarebridgeError, normalizeError, toOperationOutcome } from '../errors/index.js';
import type { EntryRequest } from './bundle-request.js';
import type { AccessPolicy, FhirInteraction, FhirStore } from './types.js';

const STATUS_TEXT: Record<number, string> = { 200: '200 OK', 201: '201 Created', 204: '204 No Content' };

export function statusLine(code: number): string {
  return STATUS_TEXT[code] ?? String(code);
}

/** Response entry for a written (or matched) resource. */
export function writtenEntry(resource: Resource, status: number, baseUrl: string): BundleEntry {
  const v = resource.meta?.versionId;
  const response: BundleEntryResponse = {
    status: statusLine(status),
    location: `${resource.resourceType}/${resource.id}${v ? `/_history/${v}` : ''}`,
    ...(v ? { etag: `W/"${v}"` } : {}),
    ...(resource.meta?.lastUpdated ? { lastModified: resource.meta.lastUpdated } : {}),
  };
  return { fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource: resource as FhirResource, response };
}

export function errorEntry(err: unknown): BundleEntry {
  const e = normalizeError(err);
  return { response: { status: String(e.kind.http), outcome: toOperationOutcome(e) } };
}

export function forbidden(interaction: FhirInteraction, type: string): CarebridgeError {
  return new CarebridgeError('CB_ERR_AUTH_FORBIDDEN', `Not allowed: ${interaction} ${type}`);
}

export function assertCan(access: AccessPolicy | undefined, interaction: FhirInteraction, type: string, resource?: Resource): void {
  if (access && !access.can(interaction, type, resource)) throw forbidden(interaction, type);
}

/** A GET entry: read, vread or search, through `store` (the transaction's store inside a transaction). */
export async function getEntry(store: FhirStore, req: EntryRequest, index: number, baseUrl: string, access?: AccessPolicy): Promise<BundleEntry> {
  if (!req.type) throw new CarebridgeError('CB_ERR_BAD_REQUEST', `Bundle.entry[${index}]: GET needs a resource type`);
  if (req.id && req.versionId) {
    const resource = await store.vread(req.type, req.id, req.versionId);
    assertCan(access, 'vread', req.type, resource);
    return writtenEntry(resource, 200, baseUrl);
  }
  if (req.id) {
    const resource = await store.read(req.type, req.id);
    assertCan(access, 'read', req.type, resource);
    return writtenEntry(resource, 200, baseUrl);
  }
  assertCan(access, 'search', req.type);
  const bundle = await store.search(req.type, new URLSearchParams(req.query ?? ''), { baseUrl, access });
  return { resource: bundle, response: { status: '200 OK' } };
}
