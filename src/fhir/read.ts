/** @module read and vread (http://hl7.org/fhir/R4/http.html#read). */
import type { Resource } from 'fhir/r4.js';
import { CompiledQuery, sql } from 'kysely';
import { PREPARED, type AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';

interface Row {
  version_id: number;
  deleted: boolean;
  content: Resource;
}

/** The current row of (type $1, id $2); writes read it too (`for update` appended to lock it). */
export const SELECT_CURRENT = `${PREPARED}select version_id, deleted, content from fhir_resource where resource_type = $1 and id = $2`;

/** Current version, or undefined when absent; throws CB_ERR_FHIR_GONE when deleted (if `gone`). */
export async function readCurrent<T extends Resource>(db: AnyDb, type: string, id: string, gone: 'throw' | 'undefined'): Promise<T | undefined> {
  // Fixed text: a raw compiled query skips the query builder, and PREPARED the parse and plan.
  const { rows } = await db.executeQuery<Row>(CompiledQuery.raw(SELECT_CURRENT, [type, id]));
  const row = rows[0];
  if (!row) return undefined;
  if (row.deleted) {
    if (gone === 'undefined') return undefined;
    throw new CarebridgeError('CB_ERR_FHIR_GONE', `${type}/${id} was deleted`);
  }
  return row.content as T;
}

/**
 * The current versions of `ids` of one type (absent and deleted ones left out, in no particular
 * order) by primary key in one statement. For callers that know the ids: a `_id` search pages and
 * sorts, and without table statistics (a fresh bulk load) PostgreSQL plans that sort as a walk of
 * every resource of the type.
 */
export async function readCurrentMany<T extends Resource>(db: AnyDb, type: string, ids: readonly string[]): Promise<T[]> {
  if (!ids.length) return [];
  const { rows } = await db.executeQuery<{ content: Resource }>(
    CompiledQuery.raw('select content from fhir_resource where resource_type = $1 and id = any($2::text[]) and not deleted', [type, [...ids]]),
  );
  return rows.map((r) => r.content as T);
}

export async function readOrThrow<T extends Resource>(db: AnyDb, type: string, id: string): Promise<T> {
  const r = await readCurrent<T>(db, type, id, 'throw');
  if (!r) throw new CarebridgeError('CB_ERR_NOT_FOUND', `${type}/${id} not found`);
  return r;
}

export async function readVersion(db: AnyDb, type: string, id: string, versionId: string): Promise<Resource> {
  const v = Number(versionId);
  if (!Number.isInteger(v) || v < 1) throw new CarebridgeError('CB_ERR_NOT_FOUND', `${type}/${id}/_history/${versionId} not found`);
  const { rows } = await sql<Row>`
    select version_id, deleted, content from fhir_resource_history
    where resource_type = ${type} and id = ${id} and version_id = ${v}`.execute(db);
  const row = rows[0];
  if (!row) throw new CarebridgeError('CB_ERR_NOT_FOUND', `${type}/${id}/_history/${versionId} not found`);
  if (row.deleted) throw new CarebridgeError('CB_ERR_FHIR_GONE', `${type}/${id}/_history/${versionId} is a deletion`);
  return row.content;
}
