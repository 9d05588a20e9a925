/** @module REST search (GET and POST _search, type and system level) and history. */
import type { Bundle } from 'fhir/r4.js';
import { CarebridgeError } from '../../errors/index.js';
import { assertAllowed, assertType } from './guards.js';
import { parsePrefer } from './prefer.js';
import type { FhirHandler, FhirRequest } from './types.js';

/** GET query merged with an `application/x-www-form-urlencoded` body (POST _search). */
function searchParams(req: FhirRequest): URLSearchParams {
  const params = new URLSearchParams(req.query);
  if (req.method === 'POST' && typeof req.body === 'string') {
    for (const [k, v] of new URLSearchParams(req.body)) params.append(k, v);
  }
  params.delete('_format');
  return params;
}

export const searchHandler: FhirHandler = async (req, store, audit) => {
  const type = req.path[0];
  if (type) assertType(type);
  assertAllowed(req, 'search', type ?? '*');
  const params = searchParams(req);
  audit.query = params.toString();
  const bundle = await store.search(type, params, { baseUrl: req.baseUrl, handling: parsePrefer(req.headers.prefer).handling, access: req.access });
  // Search drops refused entries itself (SearchRequest.access); checked again here so that no
  // returned resource (match or include) ever skips the policy.
  if (bundle.entry) {
    bundle.entry = bundle.entry.filter((e) => !e.resource || e.search?.mode === 'outcome' || req.access.can('read', e.resource.resourceType, e.resource));
  }
  return { status: 200, body: bundle };
};

export const historyHandler: FhirHandler = async (req, store, audit) => {
  const [type, maybeId] = req.path;
  const id = maybeId === '_history' ? undefined : maybeId;
  if (type === '_history') return history(req, store, audit, undefined, undefined);
  assertType(type!);
  return history(req, store, audit, type, id);
};

async function history(req: FhirRequest, store: Parameters<FhirHandler>[1], audit: Parameters<FhirHandler>[2], type: string | undefined, id: string | undefined) {
  assertAllowed(req, 'history', type ?? '*');
  audit.id = id;
  audit.query = req.query.toString() || undefined;
  const sinceText = req.query.get('_since');
  const since = sinceText ? new Date(sinceText) : undefined;
  if (since && Number.isNaN(since.getTime())) {
    throw new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', '_since must be an instant', { details: [{ expression: '_since', diagnostics: '_since must be an instant' }] });
  }
  const countText = req.query.get('_count');
  const count = countText === null ? undefined : Number(countText);
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    throw new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', '_count must be a non-negative integer', { details: [{ expression: '_count', diagnostics: '_count must be a non-negative integer' }] });
  }
  const bundle: Bundle = await store.history(type, id, { count, since, cursor: req.query.get('_cursor') ?? undefined, baseUrl: req.baseUrl });
  // Versions the caller may not read are left out (deletions carry no content to judge by type only).
  bundle.entry = (bundle.entry ?? []).filter((e) => {
    const t = e.resource?.resourceType ?? e.request?.url.split('/')[0] ?? '';
    return req.access.can('read', t, e.resource);
  });
  return { status: 200, body: bundle };
}
