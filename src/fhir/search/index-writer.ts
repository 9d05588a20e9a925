/**
 * @module Writing a resource's index rows. One round trip per write: the rows of every table go as
 * one jsonb document to `fhir_search_replace` (migration 0151), which deletes the old rows of
 * (type, id) and inserts the new ones with one INSERT ... SELECT per table (plans cached).
 */
import type { Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';
import { emptyRows, extractInto, type IndexRows } from './extract.js';
import { COLUMN_PARAMS, parametersOf } from './parameters.js';

type TableName = keyof IndexRows;

const TABLES: readonly TableName[] = ['token', 'string', 'date', 'reference', 'quantity', 'number', 'uri'];

/** The index rows a resource produces (deduplicated per table). */
export function indexRowsOf(resource: Resource): IndexRows {
  const rows = extractedRows(resource);
  for (const table of TABLES) rows[table] = dedupe(rows[table] as object[]) as never;
  return rows;
}

/** Every parameter's rows, duplicates included. */
function extractedRows(resource: Resource): IndexRows {
  const rows = emptyRows();
  for (const def of parametersOf(resource.resourceType).values()) {
    if (COLUMN_PARAMS.has(def.code) || def.type === 'composite' || def.type === 'special') continue;
    extractInto(rows, def, resource);
  }
  return rows;
}

/**
 * A row's identity: its JSON text. Every row of a table is built with the same keys in the same
 * order, so equal texts mean equal rows; indexDocument sends this same text.
 */
const rowText = (row: object): string => JSON.stringify(row);

function dedupe<T extends object>(rows: T[]): T[] {
  if (rows.length < 2) return rows;
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = rowText(row);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Replaces the index rows of (resourceType, id). Call inside the write transaction. */
export async function indexResource(trx: AnyDb, resource: Resource): Promise<void> {
  if (!resource.id) throw new CarebridgeError('CB_ERR_INTERNAL', 'indexResource needs a resource with an id');
  await sql`select fhir_search_replace(${resource.resourceType}, ${resource.id}, ${indexDocument(resource)}::jsonb)`.execute(trx);
}

/** The index rows of `resource` as the jsonb text `fhir_search_replace` takes ({ token: [...], ... }). */
export function indexDocument(resource: Resource): string {
  // The same text as JSON.stringify of indexRowsOf's non-empty tables, with each row stringified
  // once: its text (rowText) is both the dedupe key and its part of the document. Every write sends it.
  const rows = extractedRows(resource);
  let document = '';
  for (const table of TABLES) {
    const list = rows[table] as object[];
    if (list.length === 0) continue;
    const texts = list.length === 1 ? [rowText(list[0]!)] : [...new Set(list.map(rowText))];
    document += `${document ? ',' : '{'}"${table}":[${texts.join(',')}]`;
  }
  return document ? `${document}}` : '{}';
}

/** Removes every index row of (type, id) (delete, purge). */
export async function removeIndex(trx: AnyDb, type: string, id: string): Promise<void> {
  await sql`select fhir_search_replace(${type}, ${id}, '{}'::jsonb)`.execute(trx);
}
