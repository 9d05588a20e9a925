/**
 * @module `_sort` keys and keyset cursors. Every key is a non-null expression (nulls coalesced to a
 * low sentinel) followed by the tie-breakers (resource_type, id), so a page boundary is a single
 * row position and `next`/`previous` are `WHERE (keys) > (cursor)` — no OFFSET, deep pages stay fast.
 */
import { sql, type RawBuilder } from 'kysely';
import { CarebridgeError } from '../../errors/index.js';
import { parameterOf } from './parameters.js';
import { unsupported } from './parse-query.js';

export type SortCast = 'text' | 'timestamptz' | 'numeric';

export interface SortKey {
  readonly expr: RawBuilder<unknown>;
  readonly cast: SortCast;
  readonly desc: boolean;
}

const SENTINEL: Record<SortCast, RawBuilder<unknown>> = {
  text: sql`''`,
  timestamptz: sql`'-infinity'::timestamptz`,
  numeric: sql`'-Infinity'::numeric`,
};

/** Keys for `_sort=-birthdate,family` on alias `r`, then the tie-breakers. */
export function sortKeys(type: string | undefined, sortParam: string | null, r: string): SortKey[] {
  const keys: SortKey[] = [];
  for (const raw of (sortParam ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const desc = raw.startsWith('-');
    const code = desc ? raw.slice(1) : raw;
    keys.push(sortKey(type, code, desc, r));
  }
  keys.push({ expr: sql.ref(`${r}.resource_type`), cast: 'text', desc: false });
  keys.push({ expr: sql.ref(`${r}.id`), cast: 'text', desc: false });
  return keys;
}

function sortKey(type: string | undefined, code: string, desc: boolean, r: string): SortKey {
  if (code === '_id') return { expr: sql.ref(`${r}.id`), cast: 'text', desc };
  if (code === '_lastUpdated') return { expr: sql.ref(`${r}.last_updated`), cast: 'timestamptz', desc };
  const def = type ? parameterOf(type, code) : undefined;
  if (!def) throw unsupported('_sort', `cannot sort by '${code}'`);
  const agg = desc ? sql`max` : sql`min`;
  const owner = sql`s.resource_type = ${sql.ref(`${r}.resource_type`)} and s.id = ${sql.ref(`${r}.id`)} and s.param = ${code}`;
  const of = (table: string, column: RawBuilder<unknown>, cast: SortCast): SortKey => ({
    expr: sql`coalesce((select ${agg}(${column}) from ${sql.table(table)} as s where ${owner}), ${SENTINEL[cast]})`,
    cast,
    desc,
  });
  switch (def.type) {
    case 'string': return of('fhir_search_string', sql`s.value`, 'text');
    case 'token': return of('fhir_search_token', sql`s.value`, 'text');
    case 'uri': return of('fhir_search_uri', sql`s.value`, 'text');
    case 'date': return of('fhir_search_date', desc ? sql`s.high` : sql`s.low`, 'timestamptz');
    case 'number': return of('fhir_search_number', desc ? sql`s.high` : sql`s.low`, 'numeric');
    case 'quantity': return of('fhir_search_quantity', desc ? sql`s.high` : sql`s.low`, 'numeric');
    case 'reference': return of('fhir_search_reference', sql`coalesce(s.target_type || '/' || s.target_id, s.url)`, 'text');
    default: throw unsupported('_sort', `cannot sort by '${code}' (${def.type})`);
  }
}

export interface Cursor {
  /** 'n': rows after the position; 'p': rows before it. */
  readonly direction: 'n' | 'p';
  readonly values: readonly string[];
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.direction, ...cursor.values])).toString('base64url');
}

export function decodeCursor(text: string, keyCount: number): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === keyCount + 1 && (parsed[0] === 'n' || parsed[0] === 'p') && parsed.slice(1).every((v) => typeof v === 'string')) {
      return { direction: parsed[0], values: parsed.slice(1) as string[] };
    }
  } catch {
    // fall through to the error below
  }
  throw new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', 'Invalid _cursor: use the next/previous links of a search result', {
    details: [{ diagnostics: 'Invalid _cursor: use the next/previous links of a search result', expression: '_cursor' }],
  });
}

/** Rows strictly after (or before, when `backward`) the cursor position in the keys' order. */
export function keysetCondition(keys: readonly RawBuilder<unknown>[], sortKeysList: readonly SortKey[], values: readonly string[], backward: boolean): RawBuilder<boolean> {
  const branches = keys.map((key, i) => {
    const equal = keys.slice(0, i).map((k, j) => sql`${k} = cast(${values[j]} as ${sql.raw(sortKeysList[j].cast)})`);
    const ascending = sortKeysList[i].desc === backward;
    const cmp = ascending ? sql`>` : sql`<`;
    return sql`(${sql.join([...equal, sql`${key} ${cmp} cast(${values[i]} as ${sql.raw(sortKeysList[i].cast)})`], sql` and `)})`;
  });
  return sql<boolean>`(${sql.join(branches, sql` or `)})`;
}

export function orderBy(keys: readonly RawBuilder<unknown>[], sortKeysList: readonly SortKey[], backward: boolean): RawBuilder<unknown> {
  return sql.join(keys.map((k, i) => (sortKeysList[i].desc === backward ? sql`${k} asc` : sql`${k} desc`)));
}
