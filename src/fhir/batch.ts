/** @module Batch bundles: every entry on its own (own transaction, own status), in request order. */
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import { entryError, parseEntryRequest } from './bundle-request.js';
import { assertCan, errorEntry, getEntry, writtenEntry } from './bundle-response.js';
import type { AccessPolicy, FhirStore, WriteOptions } from './types.js';

export async function processBatch(store: FhirStore, bundle: Bundle, o: WriteOptions & { access?: AccessPolicy; baseUrl: string }): Promise<Bundle> {
  const out: BundleEntry[] = [];
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    try {
      out.push(await runBatchEntry(store, entry, index, o));
    } catch (err) {
      out.push(errorEntry(err));
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: out };
}

async function runBatchEntry(store: FhirStore, entry: BundleEntry, index: number, o: WriteOptions & { access?: AccessPolicy; baseUrl: string }): Promise<BundleEntry> {
  const req = parseEntryRequest(entry, index, o.baseUrl);
  const type = req.type ?? '';
  const write: WriteOptions = { source: o.source, ifMatch: req.ifMatch };
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return getEntry(store, req, index, o.baseUrl, o.access);
    case 'DELETE':
      assertCan(o.access, 'delete', type);
      if (req.id) await store.delete(type, req.id, write);
      else await store.conditionalDelete(`${type}?${req.query ?? ''}`, write);
      return { response: { status: '204 No Content' } };
    case 'POST': {
      const r = entry.resource;
      if (!r || r.resourceType !== type) throw entryError(index, `resource must be a ${type}`, 'resource');
      assertCan(o.access, 'create', type, r);
      const result = await store.create(r, { ...write, ifNoneExist: req.ifNoneExist });
      return writtenEntry(result.resource, result.created ? 201 : 200, o.baseUrl);
    }
    case 'PUT': {
      const r = entry.resource;
      if (!r || r.resourceType !== type) throw entryError(index, `resource must be a ${type}`, 'resource');
      if (req.id && r.id && r.id !== req.id) throw entryError(index, 'resource.id differs from request.url', 'resource.id');
      assertCan(o.access, 'update', type, r);
      const result = req.id ? await store.update({ ...r, id: req.id }, write) : await store.conditionalUpdate(`${type}?${req.query ?? ''}`, r, write);
      return writtenEntry(result.resource, result.created ? 201 : 200, o.baseUrl);
    }
  }
}
