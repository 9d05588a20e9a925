/**
 * @module What a request needs before any room sees it, from its method and path alone. The fhir
 * plugin re-checks per resource (granular scopes, _include, transactions); this is the coarse,
 * default-deny gate so that a route nobody thought about is still closed.
 */
import type { ScopePolicy } from './policy.js';
import type { FhirInteraction } from './types.js';

export type Requirement =
  | { kind: 'fhir'; interaction: FhirInteraction; resourceType: string }
  | { kind: 'fhir-system' }
  | { kind: 'admin' }
  | { kind: 'hl7v2' };

const TYPE = /^[A-Z][A-Za-z]+$/;
/** Operations only an admin may run, whatever the resource scopes say. */
const ADMIN_OPERATIONS = new Set(['$erase']);

export function requirementFor(method: string, rawPath: string): Requirement {
  // Judge the path the handlers will see: percent-decoded (`%24erase` is `$erase`).
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'admin' }; // undecodable: nothing legitimate looks like this
  }
  if (path === '/fhir' || path.startsWith('/fhir/')) return fhirRequirement(method, path.slice('/fhir'.length).split('/').filter(Boolean));
  if (path === '/hl7v2' || path.startsWith('/hl7v2/')) return { kind: 'hl7v2' };
  // /admin/** and every route no rule knows about: admins only (default deny).
  return { kind: 'admin' };
}

function fhirRequirement(method: string, seg: string[]): Requirement {
  const [type, second, third, fourth] = seg;
  if (!type || !TYPE.test(type)) return { kind: 'fhir-system' }; // transaction/batch, system search/history, $ops
  const m = method.toUpperCase();
  if (seg.some((s) => ADMIN_OPERATIONS.has(s))) return { kind: 'admin' };
  if (second === undefined) {
    if (m === 'GET' || m === 'HEAD') return fhir('search', type);
    if (m === 'POST') return fhir('create', type);
    if (m === 'DELETE') return fhir('delete', type);
    return fhir('update', type); // conditional PUT / PATCH
  }
  if (second === '_search') return fhir('search', type);
  if (second === '_history') return fhir('history', type);
  if (second.startsWith('$')) return fhir('operation', type);
  if (third === undefined) {
    if (m === 'GET' || m === 'HEAD') return fhir('read', type);
    if (m === 'DELETE') return fhir('delete', type);
    return fhir('update', type);
  }
  if (third === '_history') return fourth === undefined ? fhir('history', type) : fhir('vread', type);
  if (third.startsWith('$')) return fhir('operation', type);
  return fhir('read', type); // compartment search, e.g. Patient/1/Observation: re-checked by the fhir room
}

function fhir(interaction: FhirInteraction, resourceType: string): Requirement {
  return { kind: 'fhir', interaction, resourceType };
}

export function satisfies(policy: ScopePolicy, req: Requirement): boolean {
  switch (req.kind) {
    case 'admin':
      return policy.isAdmin;
    case 'hl7v2':
      return policy.mayIngestHl7v2;
    case 'fhir-system':
      return policy.hasResourceAccess;
    case 'fhir':
      return policy.can(req.interaction, req.resourceType);
  }
}
