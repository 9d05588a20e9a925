/**
 * @module matchesQuery — the ids a conditional create/update/delete criterion selects. Strict:
 * an unknown parameter must not silently widen the match (that would overwrite the wrong resource).
 */
import type { Resource } from 'fhir/r4.js';
import { CompiledQuery, sql, type RawBuilder } from 'kysely';
import { PREPARED, type AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';
import { planSearch } from './plan.js';
import { byBusinessKey, mayPrepare, whereOf } from './search.js';

/** Most ids returned; callers only need to tell 0, 1 and "several" apart, or delete a few. */
export const MAX_CONDITIONAL_MATCHES = 1000;

export async function matchesQuery(db: AnyDb, type: string, query: string): Promise<string[]> {
  const rows = await matchRows<{ id: string }>(db, type, query, sql`r.id`, MAX_CONDITIONAL_MATCHES);
  return rows.map((row) => row.id);
}

/**
 * The current content of what `query` selects, when that is one resource; undefined when it
 * selects none or several. One statement, for the no-op check of a conditional update, which
 * otherwise searched and then read the one match by id.
 */
export async function matchOne(db: AnyDb, type: string, query: string): Promise<{ id: string; content: Resource } | undefined> {
  const rows = await matchRows<{ id: string; content: Resource }>(db, type, query, sql`r.id, r.content`, 2);
  return rows.length === 1 ? rows[0] : undefined;
}

async function matchRows<R>(db: AnyDb, type: string, query: string, columns: RawBuilder<unknown>, limit: number): Promise<R[]> {
  const text = query.includes('?') ? query.slice(query.indexOf('?') + 1) : query;
  const params = new URLSearchParams(text);
  const plan = planSearch({ resourceType: type, params, baseUrl: '', handling: 'strict' });
  if (plan.clauses.length === 0) {
    throw new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', `Conditional criteria '${query}' select nothing: give at least one search parameter`, {
      details: [{ diagnostics: 'Conditional operations need at least one search parameter' }],
    });
  }
  const compiled = sql<R>`select ${columns} from fhir_resource as r where ${whereOf(plan, '')} order by r.id limit ${limit}`.compile(db);
  // Criteria by business key (mapped HL7 traffic: identifiers) run prepared, as such searches do:
  // parsing and planning was ~90 % of what PostgreSQL spent on each of these (statement log).
  const result = await db.executeQuery<R>(byBusinessKey(plan) && mayPrepare(compiled.sql) ? CompiledQuery.raw(PREPARED + compiled.sql, [...compiled.parameters]) : compiled);
  return result.rows;
}
