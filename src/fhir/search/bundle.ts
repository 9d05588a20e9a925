/** @module The searchset Bundle: entries (match/include/outcome), total and self/next/previous links. */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, BundleLink, FhirResource, OperationOutcome, Resource } from 'fhir/r4.js';
import type { SearchPlan } from './plan.js';
import { encodeCursor, type Cursor } from './sort.js';
import { applyElements, applySummary } from './summary.js';
import type { SearchRequest } from './types.js';

export interface BundleParts {
  readonly req: SearchRequest;
  readonly plan: SearchPlan;
  readonly matches: readonly Resource[];
  readonly included: readonly Resource[];
  readonly total?: number;
  readonly warnings: readonly string[];
  readonly next?: Cursor;
  readonly previous?: Cursor;
}

export function buildSearchBundle(parts: BundleParts): Bundle {
  const { req, plan } = parts;
  const base = req.baseUrl.replace(/\/+$/, '');
  const entry: BundleEntry[] = [
    ...parts.matches.map((r) => entryOf(base, applyElements(applySummary(r, plan.summary), plan.elements), 'match')),
    ...parts.included.map((r) => entryOf(base, r, 'include')),
  ];
  if (parts.warnings.length > 0) entry.push(outcomeEntry(parts.warnings));
  const link: BundleLink[] = [{ relation: 'self', url: linkUrl(base, req, plan.cursor) }];
  if (parts.next) link.push({ relation: 'next', url: linkUrl(base, req, encodeCursor(parts.next)) });
  if (parts.previous) link.push({ relation: 'previous', url: linkUrl(base, req, encodeCursor(parts.previous)) });
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    ...(parts.total !== undefined ? { total: parts.total } : {}),
    link,
    ...(entry.length > 0 ? { entry } : {}),
  };
}

function entryOf(base: string, resource: Resource, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource: resource as FhirResource, search: { mode } };
}

function outcomeEntry(warnings: readonly string[]): BundleEntry {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: warnings.map((diagnostics) => ({ severity: 'warning', code: 'not-supported', diagnostics })),
  };
  return { fullUrl: `urn:uuid:${randomUUID()}`, resource: outcome, search: { mode: 'outcome' } };
}

function linkUrl(base: string, req: SearchRequest, cursor: string | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of req.params) if (k !== '_cursor') params.append(k, v);
  if (cursor) params.set('_cursor', cursor);
  const query = params.toString();
  const path = req.resourceType ? `${base}/${req.resourceType}` : base;
  return query ? `${path}?${query}` : path;
}
