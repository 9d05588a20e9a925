/**
 * @module matchesQuery — the ids a conditional create/update/delete criterion selects. Strict:
 * an unknown parameter must not silently widen the match (that would overwrite the wrong resource).
 */
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';
import { planSearch } from './plan.js';
import { whereOf } from './search.js';

/** Most ids returned; callers only need to tell 0, 1 and "several" apart, or delete a few. */
export const MAX_CONDITIONAL_MATCHES = 1000;

export async function matchesQuery(db: AnyDb, type: string, query: string): Promise<string[]> {
  const text = query.includes('?') ? query.slice(query.indexOf('?') + 1) : query;
  const params = new URLSearchParams(text);
  const plan = planSearch({ resourceType: type, params, baseUrl: '', handling: 'strict' });
  if (plan.clauses.length === 0) {
    throw new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', `Conditional criteria '${query}' select nothing: give at least one search parameter`, {
      details: [{ diagnostics: 'Conditional operations need at least one search parameter' }],
    });
  }
  const result = await sql<{ id: string }>`select r.id from fhir_resource as r where ${whereOf(plan, '')} order by r.id limit ${MAX_CONDITIONAL_MATCHES}`.execute(db);
  return result.rows.map((row) => row.id);
}
