/**
 * @module Clauses → SQL predicates on a `fhir_resource` alias. Every user value is a bound
 * parameter (kysely `sql` template); identifiers come only from fixed names in this room.
 * Each clause is an EXISTS on one index table keyed by (resource_type, id, param).
 */
import { sql, type RawBuilder } from 'kysely';
import { parseDateRange } from './date-range.js';
import { escapeLike, normalizeString } from './normalize.js';
import type { Clause } from './parse-query.js';
import type { SearchParamDef } from './parameters.js';
import { parameterByUrl } from './parameters.js';
import { parseReference } from './reference.js';
import { invalidValue, parseNumber, parseQuantity, parseToken, splitEscaped, splitPrefix, unescape, type Prefix } from './values.js';

type Bool = RawBuilder<boolean>;

export interface CompileContext {
  readonly baseUrl: string;
  /** Fresh table alias (`t1`, `t2`, ...). */
  alias(): string;
}

export function createContext(baseUrl: string): CompileContext {
  let n = 0;
  return { baseUrl: baseUrl.replace(/\/+$/, ''), alias: () => `t${++n}` };
}

const TRUE: Bool = sql<boolean>`true`;
const or = (parts: Bool[]): Bool => (parts.length === 1 ? parts[0] : sql<boolean>`(${sql.join(parts, sql` or `)})`);
export const and = (parts: Bool[]): Bool => (parts.length === 0 ? TRUE : parts.length === 1 ? parts[0] : sql<boolean>`(${sql.join(parts, sql` and `)})`);

/** Predicate that resource alias `r` (a fhir_resource row of `type`) satisfies the clause. */
export function clauseCondition(ctx: CompileContext, clause: Clause, r: string, type: string | undefined): Bool {
  if (clause.kind === 'chain') return chainCondition(ctx, clause, r, type ?? clause.def.resourceType);
  if (clause.kind === 'has') return hasCondition(ctx, clause, r, type ?? clause.refDef.resourceType);
  const { def, modifier, values } = clause;
  if (def.code === '_id') return idCondition(values, modifier, r);
  if (def.code === '_lastUpdated' && modifier === 'missing') return values[0] === 'true' ? sql<boolean>`false` : TRUE;
  if (def.code === '_lastUpdated') {
    const col = sql.ref(`${r}.last_updated`);
    return or(values.map((v) => dateCompare(def.code, v, col, col)));
  }
  if (modifier === 'missing') {
    const any = indexExists(ctx, def, r, type, () => TRUE);
    return values[0] === 'true' ? sql<boolean>`not ${any}` : any;
  }
  if (def.type === 'composite') return or(values.map((v) => compositeCondition(ctx, def, v, r, type)));
  if (def.type === 'token' && modifier === 'not') {
    return sql<boolean>`not ${indexExists(ctx, def, r, type, (t) => or(values.map((v) => tokenMatch(t, v))))}`;
  }
  if (def.type === 'reference' && values.length > 1) return indexExists(ctx, def, r, type, (t) => referencesMatch(ctx, modifier, values, t));
  return indexExists(ctx, def, r, type, (t) => or(values.map((v) => valueMatch(ctx, def, modifier, v, t))));
}

/**
 * Several reference values (`patient=Patient/a,Patient/b,...`): the local `Type/id` ones are matched
 * per type as `target_id = any(array)`, one bound array instead of one OR branch each. A
 * 400-value OR cost PostgreSQL ~60 ms to plan (the care-plan sweep's consent read); the array is
 * planned like a single value. Same rows: `type = T and id in (...)` is the OR of its branches.
 */
function referencesMatch(ctx: CompileContext, modifier: string | undefined, values: readonly string[], t: string): Bool {
  const idsByType = new Map<string, string[]>();
  const rest: Bool[] = [];
  for (const raw of values) {
    const local = localReference(ctx, raw);
    if (local && (!modifier || modifier === local.type)) {
      const ids = idsByType.get(local.type) ?? [];
      idsByType.set(local.type, ids);
      ids.push(local.id);
    } else {
      rest.push(referenceMatch(ctx, modifier, raw, t));
    }
  }
  const byType = [...idsByType].map(([target, ids]) =>
    ids.length === 1
      ? sql<boolean>`(${sql.ref(`${t}.target_type`)} = ${target} and ${sql.ref(`${t}.target_id`)} = ${ids[0]})`
      : sql<boolean>`(${sql.ref(`${t}.target_type`)} = ${target} and ${sql.ref(`${t}.target_id`)} = any(cast(${ids} as text[])))`,
  );
  return or([...byType, ...rest]);
}

/** A `Type/id` reference value (relative, or absolute on this server's base), as referenceMatch reads it. */
function localReference(ctx: CompileContext, raw: string): { type: string; id: string } | undefined {
  let value = unescape(raw);
  if (value.startsWith(`${ctx.baseUrl}/`)) value = value.slice(ctx.baseUrl.length + 1);
  const parsed = parseReference(value);
  return parsed?.id && parsed.type ? { type: parsed.type, id: parsed.id } : undefined;
}

const TABLE_OF: Record<string, string> = {
  token: 'fhir_search_token', string: 'fhir_search_string', date: 'fhir_search_date', reference: 'fhir_search_reference',
  quantity: 'fhir_search_quantity', number: 'fhir_search_number', uri: 'fhir_search_uri',
};

/** `type` undefined (system search): the index row's type is the resource row's own. */
function indexExists(ctx: CompileContext, def: SearchParamDef, r: string, type: string | undefined, match: (t: string) => Bool): Bool {
  const t = ctx.alias();
  const owner = type ?? sql.ref(`${r}.resource_type`);
  return sql<boolean>`exists (select 1 from ${sql.table(TABLE_OF[def.type])} as ${sql.id(t)} where ${sql.ref(`${t}.resource_type`)} = ${owner} and ${sql.ref(`${t}.id`)} = ${sql.ref(`${r}.id`)} and ${sql.ref(`${t}.param`)} = ${def.code} and ${match(t)})`;
}

function idCondition(values: readonly string[], modifier: string | undefined, r: string): Bool {
  if (modifier === 'missing') return values[0] === 'true' ? sql<boolean>`false` : TRUE;
  const ids = values.map(unescape);
  const match = sql<boolean>`${sql.ref(`${r}.id`)} in (${sql.join(ids)})`;
  return modifier === 'not' ? sql<boolean>`not ${match}` : match;
}

function valueMatch(ctx: CompileContext, def: SearchParamDef, modifier: string | undefined, value: string, t: string): Bool {
  const col = (c: string) => sql.ref(`${t}.${c}`);
  switch (def.type) {
    case 'token':
      if (modifier === 'text') return sql<boolean>`${col('text')} like ${escapeLike(normalizeString(unescape(value))) + '%'}`;
      return tokenMatch(t, value);
    case 'string': {
      const raw = unescape(value);
      const norm = normalizeString(raw);
      if (modifier === 'exact') return sql<boolean>`(${col('value')} = ${norm} and ${col('exact')} = ${raw})`;
      if (modifier === 'contains') return sql<boolean>`${col('value')} like ${'%' + escapeLike(norm) + '%'}`;
      return sql<boolean>`${col('value')} like ${escapeLike(norm) + '%'}`;
    }
    case 'date':
      return dateCompare(def.code, value, col('low'), col('high'));
    case 'reference':
      return referenceMatch(ctx, modifier, value, t);
    case 'quantity': {
      const q = parseQuantity(def.code, value);
      const parts = [numberCompare(q.prefix, q, col('low'), col('high'))];
      if (q.system) parts.push(sql<boolean>`${col('system')} = ${q.system}`);
      if (q.code) parts.push(sql<boolean>`(${col('code')} = ${q.code} or ${col('unit')} = ${q.code})`);
      return and(parts);
    }
    case 'number': {
      const n = parseNumber(def.code, value);
      return numberCompare(n.prefix, n, col('low'), col('high'));
    }
    case 'uri': {
      const raw = unescape(value);
      if (modifier === 'below') return sql<boolean>`${col('value')} like ${escapeLike(raw) + '%'}`;
      return sql<boolean>`${col('value')} = ${raw}`;
    }
    default:
      throw invalidValue(def.code, `parameters of type ${def.type} are not searchable`);
  }
}

function tokenMatch(t: string, value: string): Bool {
  const { system, code } = parseToken(value);
  const parts: Bool[] = [];
  if (code !== undefined) parts.push(sql<boolean>`${sql.ref(`${t}.value`)} = ${code}`);
  if (system === null) parts.push(sql<boolean>`${sql.ref(`${t}.system`)} is null`);
  else if (system !== undefined) parts.push(sql<boolean>`${sql.ref(`${t}.system`)} = ${system}`);
  return and(parts);
}

/** Search-range vs stored-range semantics of https://hl7.org/fhir/R4/search.html#prefix (inclusive ends). */
function dateCompare(param: string, raw: string, low: RawBuilder<unknown>, high: RawBuilder<unknown>): Bool {
  const { prefix, rest } = splitPrefix(raw);
  const range = parseDateRange(rest);
  if (!range) throw invalidValue(param, `'${raw}' is not a FHIR date`);
  const sLow = range.low.toISOString();
  const sHigh = range.high.toISOString();
  const ts = (v: string) => sql`cast(${v} as timestamptz)`;
  switch (prefix) {
    case 'eq': return sql<boolean>`(${low} >= ${ts(sLow)} and ${high} <= ${ts(sHigh)})`;
    case 'ne': return sql<boolean>`(${low} < ${ts(sLow)} or ${high} > ${ts(sHigh)})`;
    case 'gt': return sql<boolean>`${high} > ${ts(sHigh)}`;
    case 'lt': return sql<boolean>`${low} < ${ts(sLow)}`;
    case 'ge': return sql<boolean>`(${high} >= ${ts(sLow)} and (${high} > ${ts(sHigh)} or ${low} >= ${ts(sLow)}))`;
    case 'le': return sql<boolean>`(${low} <= ${ts(sHigh)} and (${low} < ${ts(sLow)} or ${high} <= ${ts(sHigh)}))`;
    case 'sa': return sql<boolean>`${low} > ${ts(sHigh)}`;
    case 'eb': return sql<boolean>`${high} < ${ts(sLow)}`;
    case 'ap': {
      // ±10 % of the distance between now and the value, at least one day.
      const gap = Math.max(Math.abs(Date.now() - range.low.getTime()) * 0.1, 86_400_000);
      const apLow = new Date(range.low.getTime() - gap).toISOString();
      const apHigh = new Date(range.high.getTime() + gap).toISOString();
      return sql<boolean>`(${low} <= ${ts(apHigh)} and ${high} >= ${ts(apLow)})`;
    }
  }
}

function numberCompare(prefix: Prefix, n: { value: number; low: number; high: number }, low: RawBuilder<unknown>, high: RawBuilder<unknown>): Bool {
  const num = (v: number) => sql`cast(${String(v)} as numeric)`;
  switch (prefix) {
    case 'eq': return sql<boolean>`(${low} >= ${num(n.low)} and ${high} < ${num(n.high)})`;
    case 'ne': return sql<boolean>`(${low} < ${num(n.low)} or ${high} >= ${num(n.high)})`;
    case 'gt': case 'sa': return sql<boolean>`${high} > ${num(n.value)}`;
    case 'lt': case 'eb': return sql<boolean>`${low} < ${num(n.value)}`;
    case 'ge': return sql<boolean>`${high} >= ${num(n.value)}`;
    case 'le': return sql<boolean>`${low} <= ${num(n.value)}`;
    case 'ap': {
      const delta = Math.abs(n.value) * 0.1;
      return sql<boolean>`(${low} <= ${num(n.value + delta)} and ${high} >= ${num(n.value - delta)})`;
    }
  }
}

function referenceMatch(ctx: CompileContext, modifier: string | undefined, raw: string, t: string): Bool {
  const col = (c: string) => sql.ref(`${t}.${c}`);
  let value = unescape(raw);
  if (value.startsWith(`${ctx.baseUrl}/`)) value = value.slice(ctx.baseUrl.length + 1);
  const parsed = parseReference(value);
  if (parsed?.id && parsed.type) {
    if (modifier && modifier !== parsed.type) return sql<boolean>`false`;
    return sql<boolean>`(${col('target_type')} = ${parsed.type} and ${col('target_id')} = ${parsed.id})`;
  }
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(value)) {
    const idMatch = sql<boolean>`${col('target_id')} = ${value}`;
    return modifier ? and([idMatch, sql<boolean>`${col('target_type')} = ${modifier}`]) : idMatch;
  }
  return sql<boolean>`${col('url')} = ${value.replace(/\/_history\/[^/]+$/, '')}`;
}

function chainCondition(ctx: CompileContext, clause: Extract<Clause, { kind: 'chain' }>, r: string, type: string): Bool {
  const x = ctx.alias();
  const y = ctx.alias();
  const perType = clause.targetTypes.map(
    (target) => sql<boolean>`(${sql.ref(`${x}.target_type`)} = ${target} and ${clauseCondition(ctx, clause.inner, y, target)})`,
  );
  return sql<boolean>`exists (select 1 from fhir_search_reference as ${sql.id(x)} join fhir_resource as ${sql.id(y)} on ${sql.ref(`${y}.resource_type`)} = ${sql.ref(`${x}.target_type`)} and ${sql.ref(`${y}.id`)} = ${sql.ref(`${x}.target_id`)} where ${sql.ref(`${x}.resource_type`)} = ${type} and ${sql.ref(`${x}.id`)} = ${sql.ref(`${r}.id`)} and ${sql.ref(`${x}.param`)} = ${clause.def.code} and not ${sql.ref(`${y}.deleted`)} and ${or(perType)})`;
}

function hasCondition(ctx: CompileContext, clause: Extract<Clause, { kind: 'has' }>, r: string, type: string): Bool {
  const x = ctx.alias();
  const y = ctx.alias();
  return sql<boolean>`exists (select 1 from fhir_search_reference as ${sql.id(x)} join fhir_resource as ${sql.id(y)} on ${sql.ref(`${y}.resource_type`)} = ${sql.ref(`${x}.resource_type`)} and ${sql.ref(`${y}.id`)} = ${sql.ref(`${x}.id`)} where ${sql.ref(`${x}.target_type`)} = ${type} and ${sql.ref(`${x}.target_id`)} = ${sql.ref(`${r}.id`)} and ${sql.ref(`${x}.param`)} = ${clause.refDef.code} and ${sql.ref(`${x}.resource_type`)} = ${clause.sourceType} and not ${sql.ref(`${y}.deleted`)} and ${clauseCondition(ctx, clause.inner, y, clause.sourceType)})`;
}

/** `code-value-quantity=http://loinc.org|4548-4$gt8`: every component must hold on the resource. */
function compositeCondition(ctx: CompileContext, def: SearchParamDef, raw: string, r: string, type: string | undefined): Bool {
  const components = def.definition.component ?? [];
  const parts = splitEscaped(raw, '$');
  if (parts.length !== components.length) throw invalidValue(def.code, `expected ${components.length} $-separated parts`);
  return and(
    components.map((component, i) => {
      const componentDef = parameterByUrl(type ?? def.resourceType, component.definition);
      if (!componentDef) throw invalidValue(def.code, `component ${component.definition} is not supported`);
      return clauseCondition(ctx, { kind: 'value', def: componentDef, values: [parts[i]] }, r, type);
    }),
  );
}
