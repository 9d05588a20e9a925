/**
 * @module searchResources — one keyset page of matches, the includes, the total and the links,
 * assembled into a searchset Bundle. See https://hl7.org/fhir/R4/search.html
 */
import type { Bundle, Resource } from 'fhir/r4.js';
import { CompiledQuery, sql, type RawBuilder } from 'kysely';
import { PREPARED, type AnyDb } from '../../db/index.js';
import { buildSearchBundle } from './bundle.js';
import { and, clauseCondition, createContext } from './conditions.js';
import { fetchIncluded } from './includes.js';
import { planSearch, type SearchPlan } from './plan.js';
import { decodeCursor, keysetCondition, orderBy, sortKeys, type Cursor, type SortKey } from './sort.js';
import type { SearchRequest } from './types.js';
import { parseToken } from './values.js';

export interface PageRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date | string;
  content: Resource;
  [cursorColumn: `c${number}`]: string;
}

export interface Page {
  readonly resources: Resource[];
  readonly next?: Cursor;
  readonly previous?: Cursor;
}

/** The WHERE of the searched rows on alias `r` (type, not deleted, every clause). */
export function whereOf(plan: SearchPlan, baseUrl: string): RawBuilder<boolean> {
  const ctx = createContext(baseUrl);
  const parts: RawBuilder<boolean>[] = [];
  if (plan.resourceType) parts.push(sql<boolean>`r.resource_type = ${plan.resourceType}`);
  else if (plan.types) parts.push(sql<boolean>`r.resource_type in (${sql.join(plan.types)})`);
  parts.push(sql<boolean>`not r.deleted`);
  for (const clause of plan.clauses) parts.push(clauseCondition(ctx, clause, 'r', plan.resourceType));
  return and(parts);
}

export async function searchResources(db: AnyDb, req: SearchRequest): Promise<Bundle> {
  const plan = planSearch(req);
  const where = whereOf(plan, req.baseUrl);
  const wantsEntries = plan.summary !== 'count' && plan.count > 0;
  const page = wantsEntries ? await fetchPage(db, plan, where) : { resources: [] };
  const total = await totalOf(db, plan, where, page);
  const warnings = [...plan.warnings];
  let matches = page.resources;
  let included: Resource[] = [];
  if (plan.includes.length > 0 && matches.length > 0) included = await fetchIncluded(db, plan.includes, matches);
  if (req.access) {
    const policy = req.access;
    const before = matches.length + included.length;
    matches = matches.filter((r) => policy.can('search', r.resourceType, r));
    included = included.filter((r) => policy.can('read', r.resourceType, r));
    const dropped = before - matches.length - included.length;
    if (dropped > 0) warnings.push(`${dropped} resource(s) were omitted by the access policy`);
  }
  return buildSearchBundle({ req, plan, matches, included, total, warnings, next: page.next, previous: page.previous });
}

/** The page query: matches in key order after/before the cursor, one extra row to see "more". */
export function pageQuery(plan: SearchPlan, where: RawBuilder<boolean>): { query: RawBuilder<PageRow>; keys: SortKey[]; cursor?: Cursor } {
  const keys = sortKeys(plan.resourceType, plan.sort, 'r');
  const cursor = plan.cursor ? decodeCursor(plan.cursor, keys.length) : undefined;
  const backward = cursor?.direction === 'p';
  const columns = keys.map((_, i) => sql.ref(`q.k${i}`));
  const keyset = cursor ? keysetCondition(columns, keys, cursor.values, backward) : sql<boolean>`true`;
  const query = sql<PageRow>`
    select q.resource_type, q.id, q.version_id, q.last_updated, q.content,
      ${sql.join(columns.map((c, i) => sql`${c}::text as ${sql.id(`c${i}`)}`))}
    from (
      select r.resource_type, r.id, r.version_id, r.last_updated, r.content,
        ${sql.join(keys.map((k, i) => sql`${k.expr} as ${sql.id(`k${i}`)}`))}
      from fhir_resource as r where ${where}
    ) as q
    where ${keyset}
    order by ${orderBy(columns, keys, backward)}
    limit ${plan.count + 1}`;
  return { query, keys, cursor };
}

export async function fetchPage(db: AnyDb, plan: SearchPlan, where: RawBuilder<boolean>): Promise<Page> {
  const { query, keys, cursor } = pageQuery(plan, where);
  const backward = cursor?.direction === 'p';
  const compiled = query.compile(db);
  const result = await db.executeQuery<PageRow>(byBusinessKey(plan) && mayPrepare(compiled.sql) ? CompiledQuery.raw(PREPARED + compiled.sql, [...compiled.parameters]) : compiled);
  const rows = result.rows.slice(0, plan.count);
  const more = result.rows.length > plan.count;
  if (backward) rows.reverse();
  const position = (row: PageRow | undefined, direction: 'n' | 'p'): Cursor | undefined =>
    row ? { direction, values: keys.map((_, i) => row[`c${i}`]) } : undefined;
  const hasNext = backward ? true : more;
  const hasPrevious = backward ? more : cursor !== undefined;
  return {
    resources: rows.map(withMeta),
    next: hasNext ? position(rows.at(-1), 'n') : undefined,
    previous: hasPrevious ? position(rows[0], 'p') : undefined,
  };
}

/**
 * A search by business key only (`_id`, `identifier` with a value): its values are near-unique
 * whatever the statistics say, so the generic plan is right for every value, and a prepared
 * statement saves the planning, most of such a search's cost in PostgreSQL. Other searches are
 * planned per call: a generic plan for `gender=male`, `identifier=system|` or a prefix `name=`
 * is chosen from average selectivity and is wrong for common or prefix values.
 */
export function byBusinessKey(plan: SearchPlan): boolean {
  return plan.clauses.length > 0 && plan.clauses.every((c) => c.kind === 'value' && c.modifier === undefined && (c.def.code === '_id' || (c.def.code === 'identifier' && c.def.type === 'token' && c.values.every((v) => parseToken(v).code !== undefined))));
}

/** Texts prepared so far; each stays prepared on every pooled connection, so their number is capped. */
const preparedTexts = new Set<string>();
const MAX_PREPARED_TEXTS = 64;

export function mayPrepare(text: string): boolean {
  if (preparedTexts.has(text)) return true;
  if (preparedTexts.size >= MAX_PREPARED_TEXTS) return false;
  preparedTexts.add(text);
  return true;
}

/** The stored content, with id/versionId/lastUpdated from the row (the row is the truth). */
function withMeta(row: PageRow): Resource {
  const content = (typeof row.content === 'string' ? JSON.parse(row.content) : row.content) as Resource;
  const lastUpdated = row.last_updated instanceof Date ? row.last_updated.toISOString() : new Date(row.last_updated).toISOString();
  return { ...content, id: row.id, meta: { ...content.meta, versionId: String(row.version_id), lastUpdated: content.meta?.lastUpdated ?? lastUpdated } };
}

async function totalOf(db: AnyDb, plan: SearchPlan, where: RawBuilder<boolean>, page: Page): Promise<number | undefined> {
  const mode = plan.total ?? (plan.summary === 'count' || plan.count === 0 ? 'accurate' : undefined);
  if (mode === 'none') return undefined;
  if (mode === undefined) {
    // Default: a total only when it is free (a first page that holds every match); counting a
    // large match set costs more than the page itself, so clients ask with _total=accurate.
    return !plan.cursor && !page.next ? page.resources.length : undefined;
  }
  if (mode === 'estimate') return estimate(db, where);
  const result = await sql<{ n: number | string }>`select count(*) as n from fhir_resource as r where ${where}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** The planner's row estimate (cheap on any size; exact enough for "about how many"). */
async function estimate(db: AnyDb, where: RawBuilder<boolean>): Promise<number> {
  const result = await sql<Record<string, unknown>>`explain (format json) select 1 from fhir_resource as r where ${where}`.execute(db);
  const raw = Object.values(result.rows[0] ?? {})[0];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan?: { 'Plan Rows'?: number } }>;
  return Math.round(plan[0]?.Plan?.['Plan Rows'] ?? 0);
}

