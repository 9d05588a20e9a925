/**
 * @module SMART on FHIR scopes, v1 (`system/Patient.read`, `system/*.write`, `system/*.*`) and v2
 * (`system/Patient.rs`, `system/*.cruds`, `system/Observation.rs?category=laboratory`), plus the
 * carebridge scopes `carebridge/admin` and `carebridge/hl7v2`.
 */
import type { FhirInteraction } from './types.js';

export const ADMIN_SCOPE = 'carebridge/admin';
export const HL7V2_SCOPE = 'carebridge/hl7v2';
/** What the admin token and the first-start admin client hold. */
export const ALL_SCOPES = ['system/*.cruds', ADMIN_SCOPE, HL7V2_SCOPE] as const;

export type ScopeContext = 'system' | 'user' | 'patient';
/** SMART v2 permission letters. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  readonly kind: 'resource';
  readonly context: ScopeContext;
  /** A resource type or '*'. */
  readonly resourceType: string;
  readonly permissions: ReadonlySet<Permission>;
  /** v2 granular restriction (`?category=laboratory`), or undefined. */
  readonly query?: URLSearchParams;
  readonly text: string;
}

export interface CarebridgeScope {
  readonly kind: 'carebridge';
  readonly name: 'admin' | 'hl7v2';
  readonly text: string;
}

export type Scope = ResourceScope | CarebridgeScope;

const RESOURCE_SCOPE = /^(system|user|patient)\/([A-Z][A-Za-z]*|\*)\.([a-z*]+)(\?.+)?$/;
const V2_ORDER = 'cruds';

const V1: Record<string, Permission[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

/** Parses one scope; undefined when it is not a scope carebridge understands. */
export function parseScope(text: string): Scope | undefined {
  if (text === ADMIN_SCOPE) return { kind: 'carebridge', name: 'admin', text };
  if (text === HL7V2_SCOPE) return { kind: 'carebridge', name: 'hl7v2', text };
  const m = RESOURCE_SCOPE.exec(text);
  if (!m) return undefined;
  const [, context, resourceType, perm, query] = m as unknown as [string, ScopeContext, string, string, string | undefined];
  let permissions: Permission[] | undefined = V1[perm];
  if (!permissions) {
    permissions = parseV2Permissions(perm);
    if (!permissions) return undefined;
  } else if (query) {
    return undefined; // granular restrictions exist only in v2 syntax
  }
  return {
    kind: 'resource',
    context,
    resourceType,
    permissions: new Set(permissions),
    ...(query ? { query: new URLSearchParams(query.slice(1)) } : {}),
    text,
  };
}

/** v2 letters must appear at most once and in the order c, r, u, d, s. */
function parseV2Permissions(perm: string): Permission[] | undefined {
  let last = -1;
  const out: Permission[] = [];
  for (const ch of perm) {
    const i = V2_ORDER.indexOf(ch);
    if (i <= last) return undefined;
    last = i;
    out.push(ch as Permission);
  }
  return out.length ? out : undefined;
}

/** Splits a space-separated scope string; unknown scopes are reported, not silently kept. */
export function parseScopes(text: string): { scopes: Scope[]; invalid: string[] } {
  const scopes: Scope[] = [];
  const invalid: string[] = [];
  for (const s of text.split(/\s+/).filter(Boolean)) {
    const parsed = parseScope(s);
    if (parsed) scopes.push(parsed);
    else invalid.push(s);
  }
  return { scopes, invalid };
}

/** Which v2 permission letter a FHIR interaction needs. */
export function permissionFor(interaction: FhirInteraction): Permission {
  switch (interaction) {
    case 'create':
      return 'c';
    case 'update':
      return 'u';
    case 'delete':
      return 'd';
    case 'search':
    case 'history':
      return 's';
    default:
      return 'r'; // read, vread, operation (operations re-check the types they touch)
  }
}

/** True when `granted` covers everything `requested` asks for (used to narrow token scopes). */
export function scopeCovers(granted: Scope, requested: Scope): boolean {
  if (granted.kind === 'carebridge' || requested.kind === 'carebridge') return granted.text === requested.text;
  if (granted.context !== requested.context) return false;
  if (granted.resourceType !== '*' && granted.resourceType !== requested.resourceType) return false;
  for (const p of requested.permissions) if (!granted.permissions.has(p)) return false;
  if (!granted.query) return true;
  return requested.query !== undefined && requested.query.toString() === granted.query.toString();
}
