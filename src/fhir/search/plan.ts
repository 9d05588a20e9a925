/**
 * @module Reading a search request into a plan: clauses, paging, sorting, includes and result
 * shaping, with unknown parameters collected as warnings (lenient) or rejected (strict).
 */
import { CarebridgeError } from '../../errors/index.js';
import { parseIncludes, type IncludeSpec } from './includes.js';
import { isResourceType } from './parameters.js';
import { CONTROL_PARAMS, UnknownParameter, parseClause, unsupported, type Clause } from './parse-query.js';
import { parseElements, parseSummary, type SummaryMode } from './summary.js';
import type { SearchRequest } from './types.js';

export const DEFAULT_COUNT = 20;
export const DEFAULT_MAX_COUNT = 1000;

export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface SearchPlan {
  /** The searched type; undefined for a system search (then `types` limits it, if given). */
  readonly resourceType?: string;
  readonly types?: readonly string[];
  readonly clauses: readonly Clause[];
  readonly warnings: readonly string[];
  readonly count: number;
  readonly sort: string | null;
  readonly total?: TotalMode;
  readonly summary?: SummaryMode;
  readonly elements?: Set<string>;
  readonly includes: readonly IncludeSpec[];
  readonly cursor?: string;
}

/** Parameters of every type that a system-level search may use. */
const SYSTEM_PARAMS = new Set(['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source']);

export function planSearch(req: SearchRequest): SearchPlan {
  const { params } = req;
  const type = req.resourceType;
  if (type !== undefined && !isResourceType(type)) {
    throw new CarebridgeError('CB_ERR_FHIR_UNKNOWN_TYPE', `Unknown resource type '${type}'`);
  }
  const warnings: string[] = [];
  const clauses: Clause[] = [];
  for (const [key, value] of params) {
    const name = key.split(':')[0];
    // An empty value (`name=`) is no criterion at all (https://hl7.org/fhir/R4/search.html#errors).
    if (CONTROL_PARAMS.has(name) || value === '') continue;
    try {
      if (type === undefined && !SYSTEM_PARAMS.has(name)) throw new UnknownParameter(key);
      clauses.push(parseClause(type ?? 'Patient', key, value));
    } catch (err) {
      if (!(err instanceof UnknownParameter)) throw err;
      if (req.handling === 'strict') {
        const message = `Unknown search parameter '${key}'${type ? ` for ${type}` : ''}`;
        throw new CarebridgeError('CB_ERR_SEARCH_UNKNOWN_PARAM', message, { details: [{ diagnostics: message, expression: key }] });
      }
      warnings.push(`Unknown search parameter '${key}' was ignored`);
    }
  }
  return {
    resourceType: type,
    types: type === undefined ? parseTypes(params.get('_type')) : undefined,
    clauses,
    warnings,
    count: parseCount(params.get('_count'), req.maxCount ?? DEFAULT_MAX_COUNT, warnings),
    sort: params.get('_sort'),
    total: parseTotal(params.get('_total')),
    summary: parseSummary(params.get('_summary')),
    elements: parseElements(params.get('_elements')),
    includes: parseIncludes(params),
    cursor: params.get('_cursor') ?? undefined,
  };
}

function parseTypes(value: string | null): string[] | undefined {
  if (value === null) return undefined;
  const types = value.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of types) if (!isResourceType(t)) throw unsupported('_type', `unknown resource type '${t}'`);
  return types;
}

function parseCount(value: string | null, max: number, warnings: string[]): number {
  if (value === null) return Math.min(DEFAULT_COUNT, max);
  if (!/^\d+$/.test(value)) throw unsupported('_count', `expected a non-negative integer, got '${value}'`);
  const n = Number(value);
  if (n > max) {
    warnings.push(`_count=${n} is above the maximum; ${max} used`);
    return max;
  }
  return n;
}

function parseTotal(value: string | null): TotalMode | undefined {
  if (value === null) return undefined;
  if (value === 'none' || value === 'estimate' || value === 'accurate') return value;
  throw unsupported('_total', `expected none, estimate or accurate, got '${value}'`);
}
