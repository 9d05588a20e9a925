/**
 * @module Writing a resource's index rows. One statement per write: data-modifying CTEs delete the
 * old rows of (type, id) in every table and insert the new ones as one multi-row INSERT per table,
 * so indexing costs a single round trip inside the store's transaction.
 */
import type { Resource } from 'fhir/r4.js';
import { sql, type RawBuilder } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';
import { emptyRows, extractInto, type IndexRows } from './extract.js';
import { COLUMN_PARAMS, parametersOf } from './parameters.js';

type TableName = keyof IndexRows;

/** Column order per table (after resource_type, id). */
const COLUMNS: { [K in TableName]: ReadonlyArray<keyof IndexRows[K][number]> } = {
  token: ['param', 'system', 'value', 'text'],
  string: ['param', 'value', 'exact'],
  date: ['param', 'low', 'high'],
  reference: ['param', 'target_type', 'target_id', 'url'],
  quantity: ['param', 'low', 'high', 'system', 'code', 'unit'],
  number: ['param', 'low', 'high'],
  uri: ['param', 'value'],
};
const TABLES = Object.keys(COLUMNS) as TableName[];

/** The index rows a resource produces (deduplicated per table). */
export function indexRowsOf(resource: Resource): IndexRows {
  const rows = emptyRows();
  for (const def of parametersOf(resource.resourceType).values()) {
    if (COLUMN_PARAMS.has(def.code) || def.type === 'composite' || def.type === 'special') continue;
    extractInto(rows, def, resource);
  }
  for (const table of TABLES) rows[table] = dedupe(rows[table] as object[]) as never;
  return rows;
}

function dedupe<T extends object>(rows: T[]): T[] {
  if (rows.length < 2) return rows;
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = JSON.stringify(Object.values(row));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Replaces the index rows of (resourceType, id). Call inside the write transaction. */
export async function indexResource(trx: AnyDb, resource: Resource): Promise<void> {
  if (!resource.id) throw new CarebridgeError('CB_ERR_INTERNAL', 'indexResource needs a resource with an id');
  const rows = indexRowsOf(resource);
  const ctes = [...deletes(resource.resourceType, resource.id), ...inserts(resource.resourceType, resource.id, rows)];
  await sql`with ${sql.join(ctes)} select 1`.execute(trx);
}

/** Removes every index row of (type, id) (delete, purge). */
export async function removeIndex(trx: AnyDb, type: string, id: string): Promise<void> {
  await sql`with ${sql.join(deletes(type, id))} select 1`.execute(trx);
}

function deletes(type: string, id: string): RawBuilder<unknown>[] {
  return TABLES.map(
    (t) => sql`${sql.id(`del_${t}`)} as (delete from ${sql.table(`fhir_search_${t}`)} where resource_type = ${type} and id = ${id})`,
  );
}

function inserts(type: string, id: string, rows: IndexRows): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  for (const table of TABLES) {
    const tableRows = rows[table] as unknown as Record<string, unknown>[];
    if (tableRows.length === 0) continue;
    const columns = COLUMNS[table] as readonly string[];
    const values = tableRows.map((row) => sql`(${type}, ${id}, ${sql.join(columns.map((c) => row[c] ?? null))})`);
    out.push(
      sql`${sql.id(`ins_${table}`)} as (insert into ${sql.table(`fhir_search_${table}`)} (resource_type, id, ${sql.join(columns.map((c) => sql.id(c)))}) values ${sql.join(values)})`,
    );
  }
  return out;
}
