/**
 * @module `_include` / `_revinclude` (with `:iterate` applied one more level) via the reference
 * index. Included resources are read in one query per spec and filtered by the access policy.
 */
import type { Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import { isResourceType, parameterOf } from './parameters.js';
import { unsupported } from './parse-query.js';

export interface IncludeSpec {
  readonly reverse: boolean;
  readonly iterate: boolean;
  /** For _include the source type; for _revinclude the type that holds the reference. */
  readonly sourceType: string;
  readonly param: string;
  readonly targetType?: string;
}

/** Upper bound on included resources per page, so one search cannot pull the database. */
export const MAX_INCLUDES = 1000;

export function parseIncludes(params: URLSearchParams): IncludeSpec[] {
  const specs: IncludeSpec[] = [];
  for (const [key, value] of params) {
    const [name, modifier] = key.split(':');
    if (name !== '_include' && name !== '_revinclude') continue;
    if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') throw unsupported(key, `modifier :${modifier} is not supported`);
    const [sourceType, param, targetType] = value.split(':');
    if (!sourceType || !param || !isResourceType(sourceType)) throw unsupported(key, `expected Type:parameter[:targetType], got '${value}'`);
    const def = parameterOf(sourceType, param);
    if (!def || def.type !== 'reference') throw unsupported(key, `${sourceType} has no reference parameter '${param}'`);
    if (targetType !== undefined && !isResourceType(targetType)) throw unsupported(key, `unknown target type '${targetType}'`);
    specs.push({ reverse: name === '_revinclude', iterate: modifier !== undefined, sourceType, param, targetType });
  }
  return specs;
}

interface Row {
  resource_type: string;
  id: string;
  content: Resource;
}

/** Resources the specs pull in for `from` (not including `from` itself). */
export async function fetchIncluded(db: AnyDb, specs: readonly IncludeSpec[], from: readonly Resource[]): Promise<Resource[]> {
  const seen = new Set(from.map(key));
  const first = await round(db, specs, from, seen);
  const iterating = specs.filter((s) => s.iterate);
  if (iterating.length === 0 || first.length === 0) return first;
  return [...first, ...(await round(db, iterating, first, seen))];
}

const key = (r: Resource) => `${r.resourceType}/${r.id}`;

async function round(db: AnyDb, specs: readonly IncludeSpec[], from: readonly Resource[], seen: Set<string>): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const spec of specs) {
    const rows = spec.reverse ? await reverseRows(db, spec, from) : await forwardRows(db, spec, from);
    for (const row of rows) {
      const k = `${row.resource_type}/${row.id}`;
      if (seen.has(k) || seen.size >= MAX_INCLUDES + from.length) continue;
      seen.add(k);
      out.push(row.content);
    }
  }
  return out;
}

async function forwardRows(db: AnyDb, spec: IncludeSpec, from: readonly Resource[]): Promise<Row[]> {
  const ids = from.filter((r) => r.resourceType === spec.sourceType).map((r) => r.id as string);
  if (ids.length === 0) return [];
  const target = spec.targetType ? sql`and x.target_type = ${spec.targetType}` : sql``;
  const result = await sql<Row>`
    select r.resource_type, r.id, r.content from fhir_resource r
    where not r.deleted and (r.resource_type, r.id) in (
      select x.target_type, x.target_id from fhir_search_reference x
      where x.resource_type = ${spec.sourceType} and x.param = ${spec.param} and x.id in (${sql.join(ids)}) ${target})
    limit ${MAX_INCLUDES}`.execute(db);
  return result.rows;
}

async function reverseRows(db: AnyDb, spec: IncludeSpec, from: readonly Resource[]): Promise<Row[]> {
  const targets = from.filter((r) => !spec.targetType || r.resourceType === spec.targetType);
  if (targets.length === 0) return [];
  const pairs = targets.map((r) => sql`(${r.resourceType}, ${r.id as string})`);
  const result = await sql<Row>`
    select r.resource_type, r.id, r.content from fhir_resource r
    where not r.deleted and r.resource_type = ${spec.sourceType} and r.id in (
      select x.id from fhir_search_reference x
      where x.resource_type = ${spec.sourceType} and x.param = ${spec.param} and (x.target_type, x.target_id) in (${sql.join(pairs)}))
    limit ${MAX_INCLUDES}`.execute(db);
  return result.rows;
}
