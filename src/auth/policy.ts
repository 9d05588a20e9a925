/**
 * @module Scopes → AccessPolicy. Only `system/` scopes grant access: carebridge issues backend
 * (system) tokens; `user/` and `patient/` scopes parse but grant nothing because there is no user
 * or patient context in a backend-services token.
 */
import type { Resource } from 'fhir/r4.js';
import { parseScopes, permissionFor, type ResourceScope } from './scopes.js';
import type { AccessPolicy, FhirInteraction } from './types.js';

/** Audit records are readable by admins only and never writable through the API. */
const AUDIT_TYPE = 'AuditEvent';

export interface ScopePolicy extends AccessPolicy {
  readonly mayIngestHl7v2: boolean;
  /** Holds at least one system/ resource scope (gate for system-level FHIR calls). */
  readonly hasResourceAccess: boolean;
}

export function policyFromScopes(clientId: string, scopeText: string | readonly string[]): ScopePolicy {
  const text = typeof scopeText === 'string' ? scopeText : scopeText.join(' ');
  const { scopes } = parseScopes(text);
  const isAdmin = scopes.some((s) => s.kind === 'carebridge' && s.name === 'admin');
  const mayIngestHl7v2 = isAdmin || scopes.some((s) => s.kind === 'carebridge' && s.name === 'hl7v2');
  const rules = scopes.filter((s): s is ResourceScope => s.kind === 'resource' && s.context === 'system');
  return {
    clientId,
    isAdmin,
    mayIngestHl7v2,
    hasResourceAccess: rules.length > 0,
    can(interaction: FhirInteraction, resourceType: string, resource?: Resource): boolean {
      const permission = permissionFor(interaction);
      if (resourceType === AUDIT_TYPE) {
        if (!isAdmin || (permission !== 'r' && permission !== 's')) return false;
      }
      return rules.some(
        (r) =>
          (r.resourceType === '*' || r.resourceType === resourceType) &&
          r.permissions.has(permission) &&
          (!r.query || !resource || resourceMatchesQuery(resource, r.query)),
      );
    },
  };
}

/** Allow-all policy used only when auth is explicitly switched off. */
export function allowAllPolicy(): ScopePolicy {
  return { clientId: 'auth-off', isAdmin: true, mayIngestHl7v2: true, hasResourceAccess: true, can: () => true };
}

/**
 * Evaluates a granular scope restriction (`category=laboratory`, `code=http://loinc.org|1234-5`)
 * against a resource: each parameter names an element (kebab-case → camelCase) holding a code,
 * Coding or CodeableConcept; comma-separated values are OR, parameters are AND. An element we
 * cannot evaluate denies — a restriction must never widen access.
 */
export function resourceMatchesQuery(resource: Resource, query: URLSearchParams): boolean {
  for (const [name, value] of query) {
    const element = (resource as unknown as Record<string, unknown>)[camel(name)];
    if (element === undefined) return false;
    const wanted = value.split(',').map(parseToken);
    const codings = collectCodings(element);
    if (!wanted.some((w) => codings.some((c) => c.code === w.code && (w.system === undefined || c.system === w.system)))) return false;
  }
  return true;
}

interface Token {
  readonly system?: string;
  readonly code: string;
}

function parseToken(v: string): Token {
  const bar = v.indexOf('|');
  if (bar < 0) return { code: v };
  return { system: v.slice(0, bar), code: v.slice(bar + 1) };
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function collectCodings(element: unknown): Array<{ system?: string; code?: string }> {
  if (Array.isArray(element)) return element.flatMap(collectCodings);
  if (typeof element === 'string') return [{ code: element, system: '' }];
  if (element && typeof element === 'object') {
    const o = element as { coding?: unknown; code?: unknown; system?: unknown };
    if (Array.isArray(o.coding)) return o.coding.flatMap(collectCodings);
    if (typeof o.code === 'string') return [{ code: o.code, system: typeof o.system === 'string' ? o.system : '' }];
  }
  return [];
}
